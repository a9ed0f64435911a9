using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

// What the pure grain logic is asked to do: a grain method becomes one of these, applied to the
// state by the kind's Apply function. They never cross a grain call.

public abstract record AccountCommand
{
    /// <inheritdoc cref="IAccountGrain.Request"/>
    public sealed record Request : AccountCommand
    {
        public static Request Instance { get; } = new();
    }

    /// <inheritdoc cref="IAccountGrain.Redeemed"/>
    public sealed record Redeemed : AccountCommand
    {
        public static Redeemed Instance { get; } = new();
    }

    public sealed record SetListing(Listing Listing) : AccountCommand;
}

/// <summary>Commands for the ip and network grains.</summary>
public abstract record SourceCommand
{
    /// <inheritdoc cref="ISourceGrain.Reserve"/>
    public sealed record Reserve(ulong AccountHash) : SourceCommand;

    /// <inheritdoc cref="ISourceGrain.Peek"/>
    public sealed record Peek : SourceCommand
    {
        public static Peek Instance { get; } = new();
    }

    public sealed record Release(Receipt Receipt) : SourceCommand;

    public sealed record SetListing(Listing Listing) : SourceCommand;
}

public abstract record DomainCommand
{
    /// <param name="CleanSource">Both the IP and the network reported a clean record.</param>
    /// <param name="Look">The attempt's <see cref="ResetAttempt.Look"/>: how often it was deferred already.</param>
    public sealed record Reserve(bool CleanSource, int Look = 0) : DomainCommand;

    public sealed record Release(Receipt Receipt) : DomainCommand;

    public sealed record SetListing(Listing Listing) : DomainCommand;
}

public abstract record GlobalCommand
{
    /// <param name="CleanSource">Both the IP and the network reported a clean record.</param>
    /// <param name="Look">The attempt's <see cref="ResetAttempt.Look"/>: how often it was deferred already.</param>
    public sealed record Reserve(bool CleanSource, int Look = 0) : GlobalCommand;

    public sealed record Release(Receipt Receipt) : GlobalCommand;
}

public abstract record ResetTokenCommand
{
    /// <inheritdoc cref="Abstractions.ResetTokens.IResetTokenGrain.Issue"/>
    public sealed record Issue(byte[] Hash, DateTimeOffset ExpiresAt) : ResetTokenCommand;

    /// <inheritdoc cref="Abstractions.ResetTokens.IResetTokenGrain.Consume"/>
    public sealed record Consume(byte[] Hash) : ResetTokenCommand;
}
