namespace TaskRunner;

/// <summary>A lock as held in a <see cref="ILockStore"/>.</summary>
/// <param name="Name">The lock's name.</param>
/// <param name="Owner">The holder's id.</param>
/// <param name="FencingToken">The acquisition's fencing token.</param>
/// <param name="ExpiresAt">When it expires unless renewed.</param>
public readonly record struct LockLease(string Name, string Owner, long FencingToken, DateTimeOffset ExpiresAt);
