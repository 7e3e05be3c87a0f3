namespace TaskRunner;

/// <summary>A store call failed. Backends translate their own errors (database busy, connection lost) into this type.</summary>
public class JobStoreException : Exception
{
    /// <summary>Creates an exception.</summary>
    public JobStoreException() { }

    /// <summary>Creates an exception with a message.</summary>
    public JobStoreException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public JobStoreException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates an exception with a message, a cause and whether a retry may succeed.</summary>
    public JobStoreException(string message, Exception? innerException, bool isTransient) : base(message, innerException)
        => IsTransient = isTransient;

    /// <summary>Whether the same call may succeed if tried again (busy, timeout, lost connection).</summary>
    public bool IsTransient { get; }
}
