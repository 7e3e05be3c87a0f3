namespace TaskRunner;

/// <summary>The rest of the execution pipeline, as seen by middleware.</summary>
public delegate ValueTask JobExecution(JobContext context);
