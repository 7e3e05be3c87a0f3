namespace TaskRunner.Locks;

/// <summary>Locks held in this process's memory: for single-process hosts. Fencing tokens grow per name, never reset.</summary>
internal sealed class InMemoryLockStore : ILockStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Holder> _locks = new(StringComparer.Ordinal);

    public ValueTask<LockLease?> TryAcquireAsync(string name, string owner, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_locks.TryGetValue(name, out var holder))
            {
                holder = new Holder();
                _locks.Add(name, holder);
            }
            else if (holder.Held && holder.ExpiresAt > now)
            {
                return new((LockLease?)null);
            }

            holder.Held = true;
            holder.Token++;
            holder.Owner = owner;
            holder.ExpiresAt = expiresAt;
            return new(new LockLease(name, owner, holder.Token, expiresAt));
        }
    }

    public ValueTask<bool> TryRenewAsync(string name, long fencingToken, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_locks.TryGetValue(name, out var holder) && holder.Held && holder.Token == fencingToken && holder.ExpiresAt > now)
            {
                holder.ExpiresAt = expiresAt;
                return new(true);
            }

            return new(false);
        }
    }

    public ValueTask<bool> ReleaseAsync(string name, long fencingToken, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_locks.TryGetValue(name, out var holder) && holder.Held && holder.Token == fencingToken)
            {
                holder.Held = false;
                return new(true);
            }

            return new(false);
        }
    }

    public ValueTask<IReadOnlyList<LockLease>> ListAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var held = new List<LockLease>();
            foreach (var (name, holder) in _locks)
            {
                if (holder.Held && holder.ExpiresAt > now)
                {
                    held.Add(new LockLease(name, holder.Owner, holder.Token, holder.ExpiresAt));
                }
            }

            held.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            return new(held);
        }
    }

    private sealed class Holder
    {
        public bool Held { get; set; }

        public long Token { get; set; }

        public string Owner { get; set; } = "";

        public DateTimeOffset ExpiresAt { get; set; }
    }
}
