using System.Text.Json.Serialization;

namespace ThrottleCluster.Grains.Abstractions;

/// <summary>
/// What a granted reservation spent, returned to the caller and handed back in a release so the
/// grain can return exactly that: the undo record lives with the caller, not in grain state,
/// which keeps hot grains small however many requests are in flight.
/// </summary>
/// <param name="At">Grain time of the reservation (whole seconds).</param>
/// <param name="Bit">Distinct-account sketch bit this request set, or -1 if it was already set.</param>
/// <param name="Clean">Domain and global grains: whether the budget was granted to a clean source.</param>
public sealed record Receipt(DateTimeOffset At, int Bit = -1, bool Clean = true);

[JsonPolymorphic]
[JsonDerivedType(typeof(Request), "request")]
[JsonDerivedType(typeof(Redeemed), "redeemed")]
[JsonDerivedType(typeof(SetListing), "list")]
public abstract record AccountCommand
{
    /// <summary>Every other scope granted this reset: decide, and record the email if it is sent.</summary>
    public sealed record Request : AccountCommand;

    /// <summary>The token sent last was used, so it no longer suppresses a new email.</summary>
    public sealed record Redeemed : AccountCommand;

    public sealed record SetListing(Listing Listing) : AccountCommand;
}

/// <summary>Commands for the ip and network grains.</summary>
[JsonPolymorphic]
[JsonDerivedType(typeof(Reserve), "reserve")]
[JsonDerivedType(typeof(Peek), "peek")]
[JsonDerivedType(typeof(Release), "release")]
[JsonDerivedType(typeof(SetListing), "list")]
public abstract record SourceCommand
{
    /// <summary>A request from this source for the account with this hash (<see cref="ThrottleKeys.AccountHash"/>).</summary>
    public sealed record Reserve(ulong AccountHash) : SourceCommand;

    /// <summary>The source's standing (blocked? clean record?) without counting a request.</summary>
    public sealed record Peek : SourceCommand;

    public sealed record Release(Receipt Receipt) : SourceCommand;

    public sealed record SetListing(Listing Listing) : SourceCommand;
}

[JsonPolymorphic]
[JsonDerivedType(typeof(Reserve), "reserve")]
[JsonDerivedType(typeof(Release), "release")]
[JsonDerivedType(typeof(SetListing), "list")]
public abstract record DomainCommand
{
    /// <param name="CleanSource">Both the IP and the network reported a clean record.</param>
    /// <param name="Look">The attempt's <see cref="ResetAttempt.Look"/>: how often it was deferred already.</param>
    public sealed record Reserve(bool CleanSource, int Look = 0) : DomainCommand;

    public sealed record Release(Receipt Receipt) : DomainCommand;

    public sealed record SetListing(Listing Listing) : DomainCommand;
}

[JsonPolymorphic]
[JsonDerivedType(typeof(Reserve), "reserve")]
[JsonDerivedType(typeof(Release), "release")]
public abstract record GlobalCommand
{
    /// <param name="CleanSource">Both the IP and the network reported a clean record.</param>
    /// <param name="Look">The attempt's <see cref="ResetAttempt.Look"/>: how often it was deferred already.</param>
    public sealed record Reserve(bool CleanSource, int Look = 0) : GlobalCommand;

    public sealed record Release(Receipt Receipt) : GlobalCommand;
}

/// <summary>Answer of the account grain. Admin commands answer granted.</summary>
public sealed record AccountResult(bool Granted, Rule Denied, Rule WouldDeny);

/// <summary>Answer of an ip or network grain.</summary>
/// <param name="RetryAfter">When denied: when the enforced rules would let the source through again.</param>
/// <param name="Clean">Few distinct accounts asked and no recent throttling: first in line for a scarce global budget.</param>
/// <param name="Listing">The operator listing in force, which the gate lets override the wider scope.</param>
/// <param name="Receipt">Present when something was spent, to hand back in a release.</param>
public sealed record SourceResult(bool Granted, Rule Denied, Rule WouldDeny, TimeSpan RetryAfter, bool Clean, ListMode Listing, Receipt? Receipt);

/// <summary>Answer of a domain or global grain.</summary>
/// <param name="AskAgainAfter">Refused for the budget alone to a clean source: worth a second look this much later (zero: not).</param>
public sealed record BudgetResult(bool Granted, Rule Denied, Rule WouldDeny, Receipt? Receipt, TimeSpan AskAgainAfter = default);
