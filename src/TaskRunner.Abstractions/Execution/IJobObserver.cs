namespace TaskRunner;

/// <summary>Host code that watches job lifecycle events. Called inline on the worker: keep it quick and do not throw
/// (an exception is logged and ignored).</summary>
public interface IJobObserver
{
    /// <summary>Called for every lifecycle event.</summary>
    void OnEvent(in JobEvent jobEvent);
}
