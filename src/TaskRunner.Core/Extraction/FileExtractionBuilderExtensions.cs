using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TaskRunner.Extraction;

namespace TaskRunner;

/// <summary>Registers file extraction pipelines (SPEC §7) on an <see cref="ITaskRunnerBuilder"/>.</summary>
public static class FileExtractionBuilderExtensions
{
    /// <summary>
    /// Keeps the metadata of the files under <paramref name="root"/> current with <typeparamref name="TExtractor"/>:
    /// watches the tree, queues each changed path as one debounced job in the job store (job
    /// <c>taskrunner.extract.{name}</c> on queue <c>extract.{name}</c>, served with <see cref="FileExtractionOptions.Workers"/>
    /// slots), and stores what the extractor returns in the <see cref="Extraction.IMetadataStore"/> of the chosen backend.
    /// Options are the named options <paramref name="name"/>, validated at start; bind more from configuration with
    /// <c>services.Configure&lt;FileExtractionOptions&gt;(name, section)</c>. Host code reads the metadata through the keyed
    /// service <see cref="IFileExtractionPipeline"/> <paramref name="name"/>.
    /// </summary>
    /// <typeparam name="TExtractor">The user's extractor (a singleton, resolved from the container).</typeparam>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="name">The pipeline's name: 1–56 characters of lowercase letters, digits, '-', '_' and '.'.</param>
    /// <param name="root">The directory tree to watch.</param>
    /// <param name="configure">Sets options (debounce, ignore patterns, ...).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The name breaks the rule, or a pipeline of that name exists.</exception>
    public static ITaskRunnerBuilder AddFileExtraction<TExtractor>(this ITaskRunnerBuilder builder, string name, string root, Action<FileExtractionOptions>? configure = null)
        where TExtractor : class, IExtractor
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(root);
        var queue = ExtractionPipeline.QueueOf(name ?? "");
        if (name is null || QueueNames.Validate(queue) is not null)
        {
            throw new ArgumentException(
                $"File extraction name '{name}' is invalid: it must be 1–{QueueNames.MaxLength - 8} characters of lowercase letters, digits, '-', '_' and '.' (it names the queue '{queue}').",
                nameof(name));
        }

        var services = builder.Services;
        if (services.Any(d => d.IsKeyedService && d.ServiceType == typeof(ExtractionPipeline) && Equals(d.ServiceKey, name)))
        {
            throw new ArgumentException($"A file extraction named '{name}' is already registered.", nameof(name));
        }

        services.AddOptions<FileExtractionOptions>(name)
            .Configure(o => o.Root = root)
            .Configure(o => configure?.Invoke(o))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FileExtractionOptions>, FileExtractionOptionsValidator>());
        services.TryAddSingleton<TExtractor>();
        services.TryAddSingleton(sp => new ExtractionMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));

        builder.AddJob<ExtractionJobHandler, ExtractPath>(ExtractionPipeline.JobNameOf(name), o => o.Queue = queue);
        builder.AddQueue(queue);
        services.AddOptions<TaskRunnerOptions>().Configure<IOptionsMonitor<FileExtractionOptions>>((runner, all) =>
        {
            var options = all.Get(name);
            var slots = runner.Queues[queue];
            slots.Concurrency = options.Workers;
            slots.BatchSize = options.BatchSize;
        });

        services.AddKeyedSingleton(name, (sp, _) => new ExtractionPipeline(
            name,
            sp.GetRequiredService<IOptionsMonitor<FileExtractionOptions>>().Get(name),
            sp.GetRequiredService<TExtractor>(),
            sp.GetRequiredService<IJobStore>(),
            sp.GetRequiredService<IMetadataStore>(),
            sp.GetRequiredService<LocalSignals>(),
            sp.GetRequiredService<DueTimeWaker>(),
            sp.GetRequiredService<ExtractionMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            (ILogger?)sp.GetService<ILoggerFactory>()?.CreateLogger("TaskRunner") ?? NullLogger.Instance));
        services.AddKeyedSingleton<IFileExtractionPipeline>(name, (sp, key) => sp.GetRequiredKeyedService<ExtractionPipeline>(key));
        services.AddSingleton<IFileExtractionPipeline>(sp => sp.GetRequiredKeyedService<ExtractionPipeline>(name));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<ExtractionPipeline>(name));
        return builder;
    }
}
