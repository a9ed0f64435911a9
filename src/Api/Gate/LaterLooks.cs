using System.Diagnostics.Metrics;
using System.Threading.Channels;
using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Api.Endpoints;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// Asks the gate again about requests it answered <see cref="GateVerdict.Defer"/> (a clean source
/// refused only because a budget was spent), when it said to, and queues the email if the next look
/// lets it through. Held in memory and bounded: a deferred request is a second chance, not an
/// accepted email, so one lost in a restart or dropped when full costs the user a retry, nothing more.
/// Only requests for existing accounts are held: for a missing one there is nothing to send.
/// </summary>
public sealed class LaterLooks : BackgroundService
{
    public const string MeterName = "ThrottleCluster.Api.LaterLooks";
    public const int Capacity = 10_000;
    private const int Concurrency = 4;

    private readonly Channel<Pending> _pending = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _outcomes;
    private readonly IResetGate _gate;
    private readonly ResetEmails _emails;
    private readonly TimeProvider _time;
    private readonly ILogger<LaterLooks> _log;

    public LaterLooks(IResetGate gate, ResetEmails emails, TimeProvider time, ILogger<LaterLooks> log)
    {
        (_gate, _emails, _time, _log) = (gate, emails, time, log);
        _outcomes = _meter.CreateCounter<long>("tc.api.later_looks",
            description: "Deferred reset requests by what became of them: sent, deferred (again), suppressed, dropped (queue full), failed.");
        _meter.CreateObservableGauge("tc.api.later_looks.waiting", () => Waiting, description: "Deferred reset requests waiting for their later look.");
    }

    /// <summary>Deferred requests waiting for their later look (not the ones being looked at now).</summary>
    public int Waiting => _pending.Reader.Count;

    public void Schedule(ResetRequest request, Account account, TimeSpan after)
    {
        var next = new Pending(request with { Look = request.Look + 1 }, account, _time.GetUtcNow() + after);
        if (!_pending.Writer.TryWrite(next)) Count("dropped");
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => LookAsync(stoppingToken)));

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }

    private async Task LookAsync(CancellationToken ct)
    {
        try
        {
            // Every request waits the same time, so the queue is in due order.
            await foreach (var pending in _pending.Reader.ReadAllAsync(ct))
            {
                var wait = pending.Due - _time.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, ct);
                await DecideAsync(pending, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task DecideAsync(Pending pending, CancellationToken ct)
    {
        GateDecision decision;
        try
        {
            decision = await _gate.DecideAsync(pending.Request, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Fail closed, as for a first look: no persisted decision, no email.
            Count("failed");
            _log.LogWarning("A deferred reset request could not be decided again ({Error}); nothing is sent", ex.GetType().Name);
            return;
        }
        switch (decision.Verdict)
        {
            case GateVerdict.Send:
                Count("sent");
                await _emails.QueueAsync(pending.Account);
                break;
            case GateVerdict.Defer:
                Count("deferred");
                Schedule(pending.Request, pending.Account, decision.RetryAfter ?? TimeSpan.Zero);
                break;
            default:
                Count("suppressed");
                break;
        }
    }

    private void Count(string outcome) => _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    private sealed record Pending(ResetRequest Request, Account Account, DateTimeOffset Due);
}
