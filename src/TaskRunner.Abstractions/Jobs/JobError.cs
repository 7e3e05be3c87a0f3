namespace TaskRunner;

/// <summary>What went wrong in an attempt: the exception's type, message and stack, or a reason given by the runner.</summary>
/// <param name="Type">The exception's full type name, or a runner reason code such as <c>"HandlerNotRegistered"</c>.</param>
/// <param name="Message">The message.</param>
/// <param name="StackTrace">The stack trace, when there was an exception.</param>
public sealed record JobError(string Type, string Message, string? StackTrace = null)
{
    /// <summary>Captures an exception, including inner exceptions in the stack text.</summary>
    public static JobError From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new JobError(exception.GetType().FullName ?? exception.GetType().Name, exception.Message, exception.ToString());
    }
}
