namespace TaskRunner;

/// <summary>This process's worker id, written as the owner of leases and locks.</summary>
/// <param name="Id">The id.</param>
internal sealed record NodeIdentity(string Id);
