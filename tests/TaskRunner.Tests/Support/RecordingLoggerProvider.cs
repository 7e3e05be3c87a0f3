using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace TaskRunner.Tests.Support;

/// <summary>A logger provider that keeps every message, for tests that assert what was (or was not) logged.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    /// <summary>The logger factory's scopes (shared by every logger of the factory), so entries show them.</summary>
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private List<object?> CurrentScopes()
    {
        var scopes = new List<object?>();
        _scopes.ForEachScope(static (scope, list) => list.Add(scope), scopes);
        return scopes;
    }

    internal sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
    {
        /// <summary>The scopes the entry was logged in, outermost first (their state objects).</summary>
        public IReadOnlyList<object?> Scopes { get; init; } = [];

        /// <summary>The entry's structured values by name (a source-generated message's parameters), without the template.</summary>
        public IReadOnlyDictionary<string, object?> Properties { get; init; } = new Dictionary<string, object?>();
    }

    private sealed class Recorder(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider._entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), exception)
            {
                Scopes = provider.CurrentScopes(),
                Properties = state is IEnumerable<KeyValuePair<string, object?>> values
                    ? values.Where(v => v.Key != "{OriginalFormat}").ToDictionary(v => v.Key, v => v.Value)
                    : new Dictionary<string, object?>(),
            });
    }
}
