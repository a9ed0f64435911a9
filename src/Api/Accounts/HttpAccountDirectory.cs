using System.Net;
using System.Text.Json;

namespace ThrottleCluster.Api.Accounts;

/// <summary>
/// Asks the host application (<c>Accounts:LookupUrl</c>): GET with the login, 200 with
/// <c>{"accountId", "email"}</c> is a match, 404 is none, anything else (or no answer within
/// <c>Accounts:LookupTimeout</c>) fails the request with 503. What the host returns is checked
/// like a file record before it is used.
/// </summary>
public sealed class HttpAccountDirectory(HttpClient http, string lookupUrl, TimeSpan timeout) : IAccountDirectory
{
    public const string LoginPlaceholder = "{login}";
    private const int MaxResponseBytes = 16 * 1024;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async ValueTask<Account?> FindAsync(string login, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var escaped = Uri.EscapeDataString(login.Trim());
        var url = lookupUrl.Contains(LoginPlaceholder, StringComparison.Ordinal)
            ? lookupUrl.Replace(LoginPlaceholder, escaped, StringComparison.Ordinal)
            : $"{lookupUrl}{(lookupUrl.Contains('?') ? '&' : '?')}login={escaped}";
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (response.StatusCode != HttpStatusCode.OK)
                throw new AccountDirectoryException($"The account lookup answered {(int)response.StatusCode} instead of 200 or 404.");
            if (response.Content.Headers.ContentLength > MaxResponseBytes)
                throw new AccountDirectoryException($"The account lookup answered with more than {MaxResponseBytes} bytes.");
            var body = await response.Content.ReadAsByteArrayAsync(deadline.Token);
            if (body.Length > MaxResponseBytes) throw new AccountDirectoryException($"The account lookup answered with more than {MaxResponseBytes} bytes.");
            var record = JsonSerializer.Deserialize<AccountRecord>(body, Json);
            var email = record?.Email?.Trim();
            var problem = record is null ? "null" : AccountRules.CheckAccountId(record.AccountId) ?? AccountRules.CheckEmail(email);
            if (problem is not null) throw new AccountDirectoryException($"The account lookup returned an unusable account: {problem}.");
            return new Account(record!.AccountId!, email!);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AccountDirectoryException($"The account lookup did not answer within {timeout.TotalSeconds:0.###} s.");
        }
        catch (HttpRequestException ex)
        {
            throw new AccountDirectoryException($"The account lookup failed: {ex.Message}", ex);
        }
        catch (JsonException ex)
        {
            throw new AccountDirectoryException($"The account lookup answered with malformed JSON: {ex.Message}", ex);
        }
    }

    private sealed class AccountRecord
    {
        public string? AccountId { get; set; }
        public string? Email { get; set; }
    }
}

/// <summary>The directory could not answer (not: the account does not exist).</summary>
public sealed class AccountDirectoryException(string message, Exception? inner = null) : Exception(message, inner);
