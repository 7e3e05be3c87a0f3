namespace TaskRunner;

/// <summary>TEMPORARY placeholder until the polling strategies land: a fixed one-second poll.</summary>
internal static class PollingStrategies
{
    public static IPollingStrategy CreateDefault(IServiceProvider services) => new FixedSecond();

    private sealed class FixedSecond : IPollingStrategy
    {
        public PollDecision Initial => new(TimeSpan.FromSeconds(1), 32);

        public PollDecision Decide(in PollOutcome outcome) => Initial;
    }
}
