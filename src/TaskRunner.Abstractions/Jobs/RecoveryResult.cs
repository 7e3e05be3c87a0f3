namespace TaskRunner;

/// <summary>The outcome of <see cref="IJobStore.RecoverExpiredLeasesAsync"/>.</summary>
/// <param name="Requeued">Jobs put back to <see cref="JobState.Pending"/> (the lost attempt counted).</param>
/// <param name="DeadLettered">Jobs dead-lettered because the lost attempt was their last.</param>
public readonly record struct RecoveryResult(int Requeued, int DeadLettered);
