namespace TaskRunner.Tests.Support;

/// <summary>A one-shot signal a test awaits (bounded, so a bug fails the test instead of hanging it).</summary>
internal sealed class Gate
{
    private readonly TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task => _signal.Task.WaitAsync(TimeSpan.FromSeconds(30));

    public bool IsOpen => _signal.Task.IsCompleted;

    public void Open() => _signal.TrySetResult();
}
