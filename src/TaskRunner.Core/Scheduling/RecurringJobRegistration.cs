namespace TaskRunner;

/// <summary>A schedule registered in code with <c>AddRecurring</c>; applied to the store when the host starts.</summary>
internal sealed record RecurringJobRegistration(string Name, string Cron, Type PayloadType, object? Payload, RecurringJobOptions Options);
