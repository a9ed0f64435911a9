using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ThrottleCluster.Runtime.Storage;

/// <summary>
/// A connection to a Redis-protocol engine that heals itself. StackExchange.Redis reconnects when a
/// connection is reset, but not when one goes silently dead (a stale NAT or firewall entry: no reset,
/// no answer, ever), and 1.2.x can also stay on a broken connection after a failed write: every call
/// then fails until the process restarts. So a probe pings the engine every
/// <see cref="ProbeInterval"/>; once it has had no answer for <see cref="ReplaceAfter"/>, the
/// multiplexer is replaced by a new one, and while the engine stays unreachable, again twice as late
/// each time (up to <see cref="MaxReplaceAfter"/>), so a real outage does not churn connections.
/// </summary>
/// <remarks>
/// Callers take <see cref="Database"/> for each call rather than keeping it: a replaced multiplexer
/// is closed, and calls on it fail.
/// </remarks>
public sealed class RedisConnection : IDisposable
{
    public const string MeterName = "ThrottleCluster.Runtime.Engine";

    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan ReplaceAfter = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxReplaceAfter = TimeSpan.FromMinutes(2);

    private readonly ConfigurationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _replaced;
    private readonly ITimer _probe;
    private volatile Engine _engine;
    private long _lastAnswer;
    private TimeSpan _replaceAfter = ReplaceAfter;
    private int _probing;
    private volatile bool _disposed;

    private RedisConnection(ConfigurationOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _replaced = _meter.CreateCounter<long>("tc.runtime.engine.reconnects", description: "Engine connections replaced because the engine had not answered their probe for a while.");
        _engine = new Engine(ConnectionMultiplexer.Connect(options.Clone()));
        _lastAnswer = time.GetTimestamp();
        _probe = time.CreateTimer(_ => _ = ProbeAsync(), null, ProbeInterval, ProbeInterval);
    }

    /// <summary>
    /// Connects in the background and keeps retrying (<c>abortConnect=false</c> whatever the string
    /// says), so a host starts, and recovers, while the engine is down.
    /// </summary>
    /// <exception cref="ArgumentException">The string is not a StackExchange.Redis configuration or names no endpoint.</exception>
    public static RedisConnection Connect(string configuration, TimeProvider? time = null, ILogger? logger = null)
    {
        var options = ConfigurationOptions.Parse(configuration);
        if (options.EndPoints.Count == 0) throw new ArgumentException($"'{configuration}' names no endpoint.", nameof(configuration));
        options.AbortOnConnectFail = false;
        return new RedisConnection(options, time ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    public IDatabase Database => _engine.Database;

    // The configuration's syncTimeout: a probe waits no longer than a call would.
    private TimeSpan Timeout => TimeSpan.FromMilliseconds(_engine.Multiplexer.TimeoutMilliseconds);

    private async Task ProbeAsync()
    {
        if (_disposed || Interlocked.Exchange(ref _probing, 1) == 1) return;
        try
        {
            var engine = _engine;
            try
            {
                await engine.Database.PingAsync().WaitAsync(Timeout).ConfigureAwait(false);
                Volatile.Write(ref _lastAnswer, _time.GetTimestamp());
                _replaceAfter = ReplaceAfter;
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                if (_time.GetElapsedTime(Volatile.Read(ref _lastAnswer)) < _replaceAfter) return;
                await ReplaceAsync(engine, e).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    private async Task ReplaceAsync(Engine broken, Exception reason)
    {
        _logger.LogWarning("The engine has not answered for {Seconds:0} s ({Reason}); replacing its connection", _replaceAfter.TotalSeconds, reason.Message);
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(_options.Clone()).ConfigureAwait(false);
        _engine = new Engine(multiplexer);
        Close(broken.Multiplexer);
        // Disposed while connecting: the new one must not outlive it.
        if (_disposed) Close(multiplexer);
        _replaced.Add(1);
        // The next replacement is measured from this one.
        Volatile.Write(ref _lastAnswer, _time.GetTimestamp());
        _replaceAfter = TimeSpan.FromTicks(Math.Min(_replaceAfter.Ticks * 2, MaxReplaceAfter.Ticks));
    }

    // Like a crashed process: commands still queued are not sent.
    private static void Close(ConnectionMultiplexer multiplexer)
    {
        multiplexer.Close(allowCommandsToComplete: false);
        multiplexer.Dispose();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _probe.Dispose();
        Close(_engine.Multiplexer);
        _meter.Dispose();
    }

    private sealed class Engine(ConnectionMultiplexer multiplexer)
    {
        public ConnectionMultiplexer Multiplexer { get; } = multiplexer;

        public IDatabase Database { get; } = multiplexer.GetDatabase();
    }
}
