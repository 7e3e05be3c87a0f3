using BenchmarkDotNet.Running;
using TaskRunner.Benchmarks.Runners;

namespace TaskRunner.Benchmarks;

/// <summary>Entry point: <c>e2e</c>, <c>latency</c>, <c>delayed</c>, <c>punctuality</c>, <c>claim-scaling</c>, <c>extraction</c> and <c>sqlite-limit</c> run the end-to-end
/// measurements; anything else goes to BenchmarkDotNet (e.g. <c>--filter *Lock*</c>).</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "";
        var options = new Lazy<CommandLine>(() => new CommandLine(args.Skip(1).ToArray()));
        try
        {
            switch (mode)
            {
                case "e2e":
                    await EndToEndRunner.RunAsync(options.Value).ConfigureAwait(false);
                    return 0;
                case "latency":
                    await LatencyRunner.RunAsync(options.Value).ConfigureAwait(false);
                    return 0;
                case "latency-worker":
                    await CrossProcessLatencyRunner.WorkerAsync(options.Value).ConfigureAwait(false);
                    return 0;
                case "delayed":
                    await DelayedRunner.RunAsync(options.Value).ConfigureAwait(false);
                    return 0;
                case "punctuality":
                    await PunctualityRunner.RunAsync(options.Value).ConfigureAwait(false);
                    return 0;
                case "claim-scaling":
                    await ClaimScalingRunner.RunAsync(options.Value).ConfigureAwait(false);
                    return 0;
                case "claim-probe":
                    await ClaimProbe.RunAsync(options.Value).ConfigureAwait(false);
                    return 0;
                case "extraction":
                    await ExtractionRunner.RunAsync(options.Value).ConfigureAwait(false);
                    return 0;
                case "sqlite-limit":
                    SqliteLimitRunner.Run(options.Value);
                    return 0;
                case "postgres-limit":
                    await PostgresLimitRunner.RunAsync(options.Value).ConfigureAwait(false);
                    return 0;
                default:
                    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                    return 0;
            }
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }
    }
}
