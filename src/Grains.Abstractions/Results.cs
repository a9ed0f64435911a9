namespace ThrottleCluster.Grains.Abstractions;

/// <summary>
/// What a granted reservation spent, returned to the caller and handed back in a release so the
/// grain can return exactly that: the undo record lives with the caller, not in grain state,
/// which keeps hot grains small however many requests are in flight.
/// </summary>
/// <param name="At">Grain time of the reservation (whole seconds).</param>
/// <param name="Bit">Distinct-account sketch bit this request set, or -1 if it was already set.</param>
/// <param name="Clean">Domain and global grains: whether the budget was granted to a clean source.</param>
[GenerateSerializer, Immutable, Alias("tc.receipt")]
public sealed record Receipt(DateTimeOffset At, int Bit = -1, bool Clean = true);

/// <summary>Answer of the account grain. Admin commands answer granted.</summary>
[GenerateSerializer, Immutable, Alias("tc.account-result")]
public sealed record AccountResult(bool Granted, Rule Denied, Rule WouldDeny);

/// <summary>Answer of an ip or network grain.</summary>
/// <param name="RetryAfter">When denied: when the enforced rules would let the source through again.</param>
/// <param name="Clean">Few distinct accounts asked and no recent throttling: first in line for a scarce global budget.</param>
/// <param name="Listing">The operator listing in force, which the gate lets override the wider scope.</param>
/// <param name="Receipt">Present when something was spent, to hand back in a release.</param>
[GenerateSerializer, Immutable, Alias("tc.source-result")]
public sealed record SourceResult(bool Granted, Rule Denied, Rule WouldDeny, TimeSpan RetryAfter, bool Clean, ListMode Listing, Receipt? Receipt);

/// <summary>Answer of a domain or global grain.</summary>
/// <param name="AskAgainAfter">Refused for the budget alone to a clean source: worth a second look this much later (zero: not).</param>
[GenerateSerializer, Immutable, Alias("tc.budget-result")]
public sealed record BudgetResult(bool Granted, Rule Denied, Rule WouldDeny, Receipt? Receipt, TimeSpan AskAgainAfter = default);
