namespace ThrottleCluster.Grains.Abstractions;

/// <summary>Grain kinds (each grain class's <c>[GrainType]</c>, the first part of its grain id) and the one global key.</summary>
public static class GrainKinds
{
    public const string Account = "account";
    public const string Ip = "ip";
    public const string Network = "network";
    public const string Domain = "domain";
    public const string Global = "global";
    public const string GlobalKey = "all";
    public const string Policy = "policy";
    public const string ResetToken = "reset-token";
}

/// <param name="RequestId">Chosen by the caller, unique per reset request; it names the decision in answers and logs.</param>
/// <param name="ClientIp">The client's address as text (IPv4 or IPv6).</param>
/// <param name="Login">Email or account id as typed; whether an account exists is not the gate's business.</param>
/// <param name="RecipientDomain">Domain the email would go to. For a login with no account, pass the domain the login names, or a fixed placeholder such as <c>unknown.invalid</c>.</param>
/// <param name="Look">
/// 0 for a new request; n when the attempt was answered <see cref="Verdict.Defer"/> n times and is
/// asked again. A later look judges the sources by their record as it stands then, without counting
/// the request again.
/// </param>
public sealed record ResetAttempt(string RequestId, string ClientIp, string Login, string RecipientDomain, int Look = 0);

public enum Verdict
{
    /// <summary>Send the email (if the account exists).</summary>
    Send,
    /// <summary>Send nothing, but answer the caller exactly as for <see cref="Send"/>.</summary>
    Suppress,
    /// <summary>The IP or network is throttled: the only outcome the caller may see (429, Retry-After). It reveals nothing about the account.</summary>
    RejectSource,
    /// <summary>
    /// Nothing now, answered exactly as <see cref="Send"/>: the service-wide budget is spent and the
    /// source has a clean record. Ask again after RetryAfter with the next <see cref="ResetAttempt.Look"/>:
    /// a flood's fresh sources look clean only until they have asked a few times, a real user's stay clean.
    /// </summary>
    Defer,
}

/// <param name="Denied">Enforced rules per scope (for operators only).</param>
/// <param name="WouldDeny">Rules in shadow mode that would have denied (for operators only).</param>
public sealed record ResetDecision(string RequestId, Verdict Verdict, TimeSpan RetryAfter, Findings Denied, Findings WouldDeny);

public interface IResetGate
{
    /// <exception cref="ArgumentException">The IP, login or domain is malformed (nothing was spent).</exception>
    /// <remarks>Any other exception means the decision could not be made: send nothing.</remarks>
    Task<ResetDecision> DecideAsync(ResetAttempt attempt, CancellationToken ct = default);
}
