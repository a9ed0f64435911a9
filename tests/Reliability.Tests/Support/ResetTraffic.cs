using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// Steady <c>POST /v1/password-resets</c> traffic to the Api: a few workers, each asking for the
/// accounts in turn, every request from a client address (and /24) of its own, so only the account
/// and the cluster can stop it. Every request has a client-side timeout, and every outcome is kept
/// with when it was sent and answered (<see cref="Stopwatch"/> timestamps), so a test can tell what
/// was in flight at a fault.
/// </summary>
public sealed class ResetTraffic(Uri api, TimeSpan clientTimeout)
{
    private readonly HttpClient _http = new() { BaseAddress = api, Timeout = clientTimeout };
    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private int _nextAccount, _nextSource;

    public IReadOnlyList<Outcome> Outcomes => _outcomes.ToArray();

    public Counts Snapshot() => Counts.Of(Outcomes);

    /// <summary>Runs until <paramref name="stop"/> is cancelled; a request in flight then is finished, not counted as a timeout.</summary>
    public async Task RunAsync(int accounts, int workers, TimeSpan pause, CancellationToken stop)
        => await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await SendOneAsync(ProductCluster.Email(Interlocked.Increment(ref _nextAccount) % accounts));
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
    public async Task<HttpStatusCode?> SendOneAsync(string login)
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
        _outcomes.Enqueue(new Outcome(login, sent, Stopwatch.GetTimestamp(), result));
        return status;
    }

    public enum Result { Accepted, Throttled, Unavailable, Other, TimedOut, Unreachable }

    /// <param name="Sent">When the request left, as a <see cref="Stopwatch"/> timestamp.</param>
    /// <param name="Answered">When its answer (or its failure) came, likewise.</param>
    public sealed record Outcome(string Login, long Sent, long Answered, Result Result)
    {
        public TimeSpan Took => Stopwatch.GetElapsedTime(Sent, Answered);

        public bool InFlightAt(long moment) => Sent <= moment && Answered >= moment;
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
