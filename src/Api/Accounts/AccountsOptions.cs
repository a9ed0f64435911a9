namespace ThrottleCluster.Api.Accounts;

/// <summary>Configuration section <c>Accounts</c>. <see cref="LookupUrl"/>, when set, wins over <see cref="File"/>.</summary>
public sealed class AccountsOptions
{
    public const string Section = "Accounts";

    /// <summary>
    /// <c>Accounts:File</c>: a JSON array of <c>{"accountId": "...", "email": "..."}</c>, loaded at start-up.
    /// A relative path is taken from the content root.
    /// </summary>
    public string? File { get; set; }

    /// <summary>
    /// <c>Accounts:LookupUrl</c>: the host application's lookup. GET with the login: in place of
    /// <c>{login}</c> if the URL has it, else as the <c>login</c> query parameter. 200 with
    /// <c>{"accountId": "...", "email": "..."}</c> is a match, 404 is none; anything else is a failure.
    /// </summary>
    public string? LookupUrl { get; set; }

    /// <summary><c>Accounts:LookupTimeout</c>: how long one lookup may take (default 2 s, at most 30 s).</summary>
    public TimeSpan LookupTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
