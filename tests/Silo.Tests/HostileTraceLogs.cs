using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>
/// Keeps everything a host logs, Trace included, with each entry's message, structured values,
/// scopes and exception, for asserting what never reaches a log (keys, tokens, emails, addresses).
/// </summary>
public sealed class HostileTraceLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _entries = new();
    private IExternalScopeProvider? _scopes;

    public int Count => _entries.Count;

    public string AllText => string.Join(Environment.NewLine, _entries);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(HostileTraceLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => logs._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new StringBuilder($"{logLevel} {category}[{eventId}]: {formatter(state, exception)}");
            // The structured values too: a sink that stores them (JSON, OTLP) would keep them.
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
                foreach (var (key, value) in values) text.Append($" {key}={value}");
            logs._scopes?.ForEachScope((scope, builder) => builder.Append($" scope={scope}"), text);
            if (exception is not null) text.Append(' ').Append(exception);
            logs._entries.Enqueue(text.ToString());
        }
    }
}
