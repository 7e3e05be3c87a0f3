namespace TaskRunner;

/// <summary>Prepares a backend before the runner uses it (open the database, apply schema migrations, create indexes).
/// The runner calls every registered initializer once at start; an exception fails the start with that error.</summary>
public interface IStoreInitializer
{
    /// <summary>Prepares the backend. Must be safe to call from several processes at once.</summary>
    ValueTask InitializeAsync(CancellationToken cancellationToken);
}
