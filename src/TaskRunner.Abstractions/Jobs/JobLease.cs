namespace TaskRunner;

/// <summary>A held lease: a job and the token of the claim.</summary>
/// <param name="Id">The job.</param>
/// <param name="LeaseToken">The claim's lease token.</param>
public readonly record struct JobLease(JobId Id, long LeaseToken);
