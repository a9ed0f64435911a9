using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>One generated request and the statuses its endpoint may answer.</summary>
public sealed record FuzzCase(
    string Endpoint,
    int Index,
    string Method,
    string Target,
    IReadOnlyList<(string Name, string Value)> Headers,
    string? ContentType,
    byte[]? Body,
    IReadOnlyCollection<int> Allowed)
{
    /// <param name="baseAddress">Joined as text: a target such as "//v1//decisions" must stay a path, not become a host.</param>
    public HttpRequestMessage ToRequest(Uri? baseAddress = null)
    {
        var uri = baseAddress is null ? new Uri(Target, UriKind.Relative) : new Uri(baseAddress.GetLeftPart(UriPartial.Authority) + Target);
        var request = new HttpRequestMessage(new HttpMethod(Method), uri);
        foreach (var (name, value) in Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
                throw new InvalidOperationException($"Header {name} could not be added to case {this}.");
        }
        if (Body is not null)
        {
            request.Content = new ByteArrayContent(Body);
            if (ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        }
        return request;
    }

    /// <summary>Enough to replay the case by hand: non-printable characters escaped, long values cut.</summary>
    public override string ToString()
    {
        var text = new StringBuilder($"#{Index} {Method} {Show(Target, 300)}");
        foreach (var (name, value) in Headers) text.Append($" [{name}: {Show(value, 200)}]");
        if (Body is not null)
        {
            text.Append($" ({ContentType ?? "no content type"}, {Body.Length} bytes) ");
            var utf8 = Encoding.UTF8.GetString(Body);
            text.Append(Encoding.UTF8.GetByteCount(utf8) == Body.Length && !utf8.Contains('\uFFFD')
                ? Show(utf8, 600)
                : "base64:" + Convert.ToBase64String(Body[..Math.Min(Body.Length, 450)]));
        }
        return text.ToString();
    }

    private static string Show(string value, int max)
    {
        var shown = new StringBuilder();
        foreach (var c in value.Length > max ? value[..max] : value)
            shown.Append(c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}");
        if (value.Length > max) shown.Append($"...({value.Length} chars)");
        return shown.ToString();
    }
}

/// <summary>Sends cases and checks what every answer must be: no 5xx, an allowed status, problem+json on 4xx.</summary>
public sealed class FuzzRunner(HttpClient client)
{
    /// <summary>Generous: a case is a single request to a host in this process; only a hang reaches it.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20);

    private readonly ConcurrentDictionary<int, int> _statuses = new();
    private int _cases;
    private int _cancelled;

    public int Cases => _cases;

    /// <summary>Calls that hit <see cref="CallTimeout"/>: a hang, which must never happen.</summary>
    public int Cancelled => _cancelled;

    /// <summary>
    /// Over real HTTP, Kestrel itself refuses what breaks its limits (URL, headers, body) before
    /// the silo sees it: an empty 400/413/414/431 from the server, not from an endpoint.
    /// </summary>
    public bool AllowServerRejections { get; init; }

    public IReadOnlyDictionary<int, int> Statuses => _statuses;

    public string Summary => string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x{s.Value}"));

    /// <param name="logs">The host's logs, shown with the failures (the exception behind a 500 is there).</param>
    public async Task RunAsync(IEnumerable<FuzzCase> cases, CapturedLogs? logs = null, int concurrency = 4)
    {
        var failures = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (fuzzCase, _) =>
        {
            if (failures.Count >= 5) return;
            var failure = await CheckAsync(fuzzCase);
            if (failure is not null) failures.Enqueue(failure);
        });
        var errors = logs?.Errors.Take(3).Select(e => e.ToString()) ?? [];
        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine + Environment.NewLine, failures.Concat(errors)));
    }

    /// <summary>
    /// The request's Accept header rules JSON out: then an answer without a body of its own gets the
    /// framework's plain-text status page instead of a problem (content negotiation, not an error).
    /// </summary>
    private static bool RefusesJson(FuzzCase fuzzCase)
    {
        var accept = fuzzCase.Headers.Where(h => h.Name.Equals("Accept", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();
        return accept.Count > 0 && !accept.Any(a => a.Contains("json", StringComparison.OrdinalIgnoreCase) || a.Contains("*/*", StringComparison.Ordinal) || a.Contains("application/*", StringComparison.Ordinal));
    }

    /// <returns>Why the answer is wrong, or null.</returns>
    public async Task<string?> CheckAsync(FuzzCase fuzzCase)
    {
        HttpResponseMessage response;
        try
        {
            using var request = fuzzCase.ToRequest(client.BaseAddress);
            using var timeout = new CancellationTokenSource(CallTimeout);
            response = await client.SendAsync(request, timeout.Token);
        }
        catch (Exception ex)
        {
            if (ex is OperationCanceledException) Interlocked.Increment(ref _cancelled);
            return $"{fuzzCase.Endpoint} threw for {fuzzCase}:{Environment.NewLine}{ex}";
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            Interlocked.Increment(ref _cases);
            _statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            var body = await response.Content.ReadAsByteArrayAsync();
            string Problem(string what) => $"{fuzzCase.Endpoint}: {what} (HTTP {status}, {response.Content.Headers.ContentType}) for {fuzzCase}:{Environment.NewLine}{Encoding.UTF8.GetString(body[..Math.Min(body.Length, 2000)])}";

            if (status >= 500) return Problem("server error");
            if (AllowServerRejections && status is 400 or 413 or 414 or 431 && body.Length == 0 && response.Content.Headers.ContentType is null) return null;
            if (!fuzzCase.Allowed.Contains(status)) return Problem($"status not one of {string.Join('/', fuzzCase.Allowed)}");
            if (status >= 400 && fuzzCase.Method != "HEAD" && !(response.Content.Headers.ContentType?.MediaType == "text/plain" && RefusesJson(fuzzCase)))
            {
                if (response.Content.Headers.ContentType?.MediaType != Http.Problem) return Problem("4xx without problem+json");
                try
                {
                    using var problem = JsonDocument.Parse(body);
                    if (problem.RootElement.GetProperty("status").GetInt32() != status) return Problem("problem status differs");
                }
                catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    return Problem($"problem body is not a problem: {ex.Message}");
                }
            }
            if (status == 429 && !(response.Headers.TryGetValues("Retry-After", out var retry) && int.TryParse(retry.Single(), out var seconds) && seconds >= 1))
                return Problem("429 without a positive Retry-After");
            if (status == 200 && response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                try
                {
                    using var _ = JsonDocument.Parse(body);
                }
                catch (JsonException ex)
                {
                    return Problem($"200 with invalid JSON: {ex.Message}");
                }
            }
            return null;
        }
    }
}
