using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ThrottleCluster.Runtime.Hosting;

namespace ThrottleCluster.Runtime.Client;

/// <summary>
/// Calls grains on remote silos over HTTP. A call that fails in a way that leaves its outcome
/// unknown is retried on the next silo with the same call id; the silo that applies it keeps a
/// receipt with the state, so a retry returns the first answer instead of applying twice.
/// </summary>
public sealed class ClusterClient : IGrainClient, IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly string[] _silos;
    private readonly long[] _suspectUntil;
    private readonly HttpClient _http;
    private readonly ClusterClientOptions _options;
    private readonly TimeProvider _time;
    private int _roundRobin;

    public ClusterClient(IEnumerable<Uri> silos, ClusterClientOptions? options = null, TimeProvider? time = null)
    {
        _silos = silos.Select(s => s.ToString().TrimEnd('/')).ToArray();
        if (_silos.Length == 0) throw new ArgumentException("A cluster client needs at least one silo address.", nameof(silos));
        _suspectUntil = new long[_silos.Length];
        _options = options ?? new ClusterClientOptions();
        _time = time ?? TimeProvider.System;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public IReadOnlyList<string> Silos => _silos;

    /// <summary>The silo a call for this grain goes to first: the highest-ranked one not suspected down.</summary>
    public int PreferredSilo(GrainId id) => PickSilo(RendezvousHash.Rank(_silos, id.ToString()), attempt: 1);

    public async Task<TResult> CallAsync<TCommand, TResult>(GrainId id, TCommand command, CancellationToken cancellationToken = default)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(command, GrainJson.Options);
        var json = await SendAsync(id, body, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<TResult>(json, GrainJson.Options)!;
    }

    /// <summary>Sends a JSON command with failover; returns the result's JSON.</summary>
    public async Task<byte[]> SendAsync(GrainId id, byte[] command, CancellationToken cancellationToken = default)
    {
        var callId = _options.Receipts ? Guid.NewGuid().ToString("N") : null;
        var order = Order(id);
        Exception? last = null;
        var attempts = Math.Min(_options.MaxAttempts, _silos.Length * 2);
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            var silo = PickSilo(order, attempt);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.AttemptTimeout);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"{_silos[silo]}/grains/{Uri.EscapeDataString(id.Kind)}?key={Uri.EscapeDataString(id.Key)}")
                {
                    Content = new ByteArrayContent(command) { Headers = { ContentType = Json } },
                };
                if (callId is not null) request.Headers.Add(GrainEndpoints.CallIdHeader, callId);
                if (_options.ClusterKey is { Length: > 0 } key) request.Headers.Add(GrainEndpoints.ClusterKeyHeader, key);
                request.Headers.Add(GrainEndpoints.AttemptHeader, attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
                using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                var payload = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return payload;
                var problem = RemoteProblem.Parse(id, response.StatusCode, payload);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable) throw problem;
                last = problem; // a stopping or storage-less silo: another may do better
            }
            catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
            {
                Suspect(silo);
                last = ex;
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                last = ex; // this attempt timed out; its outcome is unknown, the receipt settles it
            }
        }
        throw new GrainCallException($"Grain {id}: no silo completed the call after {attempts} attempts: {last?.Message}", mayHaveBeenApplied: true, last);
    }

    private int[] Order(GrainId id)
    {
        if (_options.KeyAffinity) return RendezvousHash.Rank(_silos, id.ToString());
        var start = (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)_silos.Length);
        return Enumerable.Range(0, _silos.Length).Select(i => (start + i) % _silos.Length).ToArray();
    }

    private int PickSilo(int[] order, int attempt)
    {
        var now = _time.GetTimestamp();
        var healthy = order.Where(s => Volatile.Read(ref _suspectUntil[s]) <= now).ToArray();
        var candidates = healthy.Length > 0 ? healthy : order;
        return candidates[(attempt - 1) % candidates.Length];
    }

    private void Suspect(int silo)
        => Volatile.Write(ref _suspectUntil[silo], _time.GetTimestamp() + (long)(_options.SuspectFor.TotalSeconds * _time.TimestampFrequency));

    public void Dispose() => _http.Dispose();
}
