using System.Net;
using System.Text;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// Steady <c>POST /v1/password-resets</c> traffic to the Api: a few workers, each asking for the
/// accounts in turn, every request from a client address (and /24) of its own, so only the account
/// and the engine can stop it. Every request has a client-side timeout and every outcome is counted.
/// </summary>
public sealed class ResetTraffic(Uri api, TimeSpan clientTimeout)
{
    private readonly HttpClient _http = new() { BaseAddress = api, Timeout = clientTimeout };
    private int _requests, _accepted, _throttled, _unavailable, _other, _timedOut, _unreachable, _nextAccount, _nextSource;

    public Counts Snapshot() => new(Volatile.Read(ref _requests), Volatile.Read(ref _accepted), Volatile.Read(ref _throttled),
        Volatile.Read(ref _unavailable), Volatile.Read(ref _other), Volatile.Read(ref _timedOut), Volatile.Read(ref _unreachable));

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
        Interlocked.Increment(ref _requests);
        try
        {
            using var response = await _http.SendAsync(request);
            switch (response.StatusCode)
            {
                case HttpStatusCode.Accepted: Interlocked.Increment(ref _accepted); break;
                case HttpStatusCode.TooManyRequests: Interlocked.Increment(ref _throttled); break;
                case HttpStatusCode.ServiceUnavailable: Interlocked.Increment(ref _unavailable); break;
                default: Interlocked.Increment(ref _other); break;
            }
            return response.StatusCode;
        }
        catch (TaskCanceledException)
        {
            Interlocked.Increment(ref _timedOut); // HttpClient.Timeout: no answer within the client's patience
            return null;
        }
        catch (HttpRequestException)
        {
            Interlocked.Increment(ref _unreachable);
            return null;
        }
    }

    public sealed record Counts(int Requests, int Accepted, int Throttled, int Unavailable, int Other, int TimedOut, int Unreachable)
    {
        public override string ToString()
            => $"{Requests} requests: {Accepted} x 202, {Throttled} x 429, {Unavailable} x 503, {Other} other, {TimedOut} timed out, {Unreachable} unreachable";
    }
}
