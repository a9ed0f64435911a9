namespace ThrottleCluster.Api.Outbox;

/// <summary>Configuration section <c>Outbox</c>.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary><c>Outbox:MaxAttempts</c>: send attempts before a job is dead-lettered (default 8).</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary><c>Outbox:RetryDelay</c>: backoff after the first failure; doubles with each further one (default 5 s).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>Outbox:MaxRetryDelay</c>: the backoff never exceeds this (default 5 minutes).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// <c>Outbox:VisibilityTimeout</c>: a job claimed this long ago and neither completed nor failed
    /// is taken back (its dispatcher crashed or hung) and sent again (default 2 minutes; must exceed
    /// <c>Email:Smtp:Timeout</c>). A live dispatcher abandons an attempt at 80 % of it, so the job is
    /// never taken back from a worker still sending it.
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary><c>Outbox:PollInterval</c>: how often an idle dispatcher looks for work in a shared queue (default 250 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary><c>Outbox:Concurrency</c>: emails this process sends at once (default 2).</summary>
    public int Concurrency { get; set; } = 2;

    /// <summary>
    /// <c>Outbox:MaxDeadLetters</c>: the dead list keeps this many, newest first (default 10,000). A
    /// flood of undeliverable addresses must not grow the engine without bound; what is dropped is
    /// counted (<see cref="OutboxCounts.DeadDropped"/>).
    /// </summary>
    public int MaxDeadLetters { get; set; } = 10_000;

    /// <summary><c>Outbox:KeyPrefix</c>: Redis keys are <c>{prefix}:pending</c> etc., one hash slot (default <c>tc:outbox</c>).</summary>
    public string KeyPrefix { get; set; } = "tc:outbox";

    /// <summary>
    /// <c>Outbox:QueueName</c>: with <c>Cluster:Provider=AzureStorage</c>, the outbox is the Azure
    /// Storage queues <c>{name}-pending</c>, <c>-processing</c>, <c>-delayed</c> and <c>-dead</c> (default <c>tc-outbox</c>).
    /// </summary>
    public string QueueName { get; set; } = "tc-outbox";

    /// <summary>The backoff after <paramref name="attempts"/> failures, with ±20 % jitter so retries of a burst spread out.</summary>
    public TimeSpan Backoff(int attempts, double random01)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var ticks = Math.Min(MaxRetryDelay.Ticks, RetryDelay.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)(ticks * (0.8 + 0.4 * random01)));
    }
}
