using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// <c>POST /v1/password-resets</c> traffic to the Api shaped as the flood DESIGN.md describes, with
/// legitimate users among it: a few workers keep asking for the <see cref="FloodShape.FloodAccounts"/>
/// victims in turn, far past their caps, every request from a client address (and /24) of its own
/// (rotating sources, so only the accounts, the global budget and the cluster can stop it); every
/// <see cref="FloodShape.LegitimateEvery"/>th request is instead a legitimate user's one request for
/// an account of its own that nobody else asks for. Every request has a client-side timeout, and
/// every outcome is kept with when it was sent and answered (<see cref="Stopwatch"/> timestamps), so
/// a test can tell what was in flight at a fault.
/// </summary>
public sealed class ResetTraffic(Uri api, TimeSpan clientTimeout)
{
    private readonly HttpClient _http = new() { BaseAddress = api, Timeout = clientTimeout };
    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private int _sent, _nextFlood, _nextLegitimate, _nextSource;

    public IReadOnlyList<Outcome> Outcomes => _outcomes.ToArray();

    public Counts Snapshot() => Counts.Of(Outcomes);

    /// <summary>Runs until <paramref name="stop"/> is cancelled; a request in flight then is finished, not counted as a timeout.</summary>
    public async Task RunAsync(FloodShape shape, int workers, TimeSpan pause, CancellationToken stop)
        => await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Each legitimate account is asked once; once all have been, the rest is flood.
                var n = 0;
                var legitimate = Interlocked.Increment(ref _sent) % shape.LegitimateEvery == 0
                                 && (n = Interlocked.Increment(ref _nextLegitimate)) <= shape.LegitimateAccounts;
                var account = legitimate ? shape.FloodAccounts + n - 1 : Interlocked.Increment(ref _nextFlood) % shape.FloodAccounts;
                await SendOneAsync(ProductCluster.Email(account), legitimate);
                try
                {
                    await Task.Delay(pause, stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
        })));

    /// <summary>One request for <paramref name="login"/>; returns its status, or null when it timed out or never connected.</summary>
    public async Task<HttpStatusCode?> SendOneAsync(string login, bool legitimate = false)
    {
        var n = Interlocked.Increment(ref _nextSource);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/password-resets")
        {
            Content = new StringContent($$"""{"login":"{{login}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(ClientAddressResolver.RealIpHeader, $"10.{(n >> 8) & 0xff}.{n & 0xff}.9");
        var sent = Stopwatch.GetTimestamp();
        Result result;
        HttpStatusCode? status = null;
        try
        {
            using var response = await _http.SendAsync(request);
            status = response.StatusCode;
            result = response.StatusCode switch
            {
                HttpStatusCode.Accepted => Result.Accepted,
                HttpStatusCode.TooManyRequests => Result.Throttled,
                HttpStatusCode.ServiceUnavailable => Result.Unavailable,
                _ => Result.Other,
            };
        }
        catch (TaskCanceledException)
        {
            result = Result.TimedOut; // HttpClient.Timeout: no answer within the client's patience
        }
        catch (HttpRequestException)
        {
            result = Result.Unreachable;
        }
        _outcomes.Enqueue(new Outcome(login, legitimate, sent, Stopwatch.GetTimestamp(), result));
        return status;
    }

    public enum Result { Accepted, Throttled, Unavailable, Other, TimedOut, Unreachable }

    /// <param name="Sent">When the request left, as a <see cref="Stopwatch"/> timestamp.</param>
    /// <param name="Answered">When its answer (or its failure) came, likewise.</param>
    /// <param name="Legitimate">A legitimate user's one request for its own account, not the flood's.</param>
    public sealed record Outcome(string Login, bool Legitimate, long Sent, long Answered, Result Result)
    {
        public TimeSpan Took => Stopwatch.GetElapsedTime(Sent, Answered);

        public bool InFlightAt(long moment) => Sent <= moment && Answered >= moment;
    }

    /// <summary>
    /// Accounts <c>user0</c> to <c>user{FloodAccounts - 1}</c> are the flood's victims; the
    /// <see cref="LegitimateAccounts"/> after them are legitimate users, one request each.
    /// </summary>
    public sealed record FloodShape(int FloodAccounts, int LegitimateAccounts, int LegitimateEvery)
    {
        public int Accounts => FloodAccounts + LegitimateAccounts;
    }

    public sealed record Counts(int Requests, int Accepted, int Throttled, int Unavailable, int Other, int TimedOut, int Unreachable)
    {
        public static Counts Of(IReadOnlyCollection<Outcome> outcomes)
        {
            int Count(Result r) => outcomes.Count(o => o.Result == r);
            return new(outcomes.Count, Count(Result.Accepted), Count(Result.Throttled), Count(Result.Unavailable), Count(Result.Other),
                Count(Result.TimedOut), Count(Result.Unreachable));
        }

        public override string ToString()
            => $"{Requests} requests: {Accepted} x 202, {Throttled} x 429, {Unavailable} x 503, {Other} other, {TimedOut} timed out, {Unreachable} unreachable";
    }
}
