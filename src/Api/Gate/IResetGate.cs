using System.Net;
using ThrottleCluster.Grains.Abstractions;
using SiloVerdict = ThrottleCluster.Grains.Abstractions.Verdict;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// Decides whether a reset email may leave. The Api asks it for every well-formed request,
/// whether or not the account exists, so the work done (and the time taken) does not depend on it.
/// Registered by <c>AddResetFrontEnd</c>: the reset gate in this process, over the embedded silo's grains or, through the Orleans client, the cluster's.
/// </summary>
public interface IResetGate
{
    Task<GateDecision> DecideAsync(ResetRequest request, CancellationToken ct);
}

/// <param name="ClientIp">The client as resolved by <see cref="ClientAddressResolver"/> (IPv4-mapped IPv6 already turned into IPv4).</param>
/// <param name="Login">The login as typed, trimmed: an email address or an account id.</param>
/// <param name="RecipientDomain">
/// Domain the email goes to: the account's email domain when the account exists, else the domain
/// the login names (if it is an email address), else null.
/// </param>
/// <param name="AccountExists">Whether the directory knows the login. The answer to the caller never depends on it.</param>
/// <param name="Look">How often the gate answered <see cref="GateVerdict.Defer"/> to this request already.</param>
public sealed record ResetRequest(IPAddress ClientIp, string Login, string? RecipientDomain, bool AccountExists, int Look = 0);

public enum GateVerdict
{
    /// <summary>Send the email (if the account exists).</summary>
    Send,

    /// <summary>Send nothing, and answer exactly as for <see cref="Send"/>.</summary>
    Suppress,

    /// <summary>The client IP or network is throttled: the only outcome the caller sees (429 + Retry-After).</summary>
    RejectSource,

    /// <summary>Nothing now, answered exactly as <see cref="Send"/>; ask again after RetryAfter with the next look (<see cref="LaterLooks"/>).</summary>
    Defer,
}

/// <param name="RetryAfter">For <see cref="GateVerdict.RejectSource"/>: when the source may try again; for <see cref="GateVerdict.Defer"/>: when to look again.</param>
/// <param name="Denied">The enforced rules by scope, for operators (the dashboard's throttled networks and domains); never shown to the caller.</param>
public sealed record GateDecision(GateVerdict Verdict, TimeSpan? RetryAfter = null, Findings? Denied = null)
{
    public static GateDecision Send { get; } = new(GateVerdict.Send);
    public static GateDecision Suppress { get; } = new(GateVerdict.Suppress);
    public static GateDecision RejectSource(TimeSpan retryAfter) => new(GateVerdict.RejectSource, retryAfter);

    /// <summary>A silo's verdict as the Api acts on it.</summary>
    public static GateDecision Of(SiloVerdict verdict, TimeSpan retryAfter, Findings denied) => verdict switch
    {
        SiloVerdict.Send => new(GateVerdict.Send, Denied: denied),
        SiloVerdict.Suppress => new(GateVerdict.Suppress, Denied: denied),
        SiloVerdict.Defer => new(GateVerdict.Defer, retryAfter, denied),
        _ => new(GateVerdict.RejectSource, retryAfter, denied),
    };
}
