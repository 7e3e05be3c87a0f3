namespace TaskRunner.Testing;

/// <summary>An expectation of <see cref="TaskRunnerTestHost"/> did not hold; the message says what was expected and what the
/// store holds. Any test framework reports it as a failure.</summary>
public sealed class TaskRunnerAssertionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TaskRunnerAssertionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TaskRunnerAssertionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error behind it.</summary>
    public TaskRunnerAssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
