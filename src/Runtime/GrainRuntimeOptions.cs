namespace ThrottleCluster.Runtime;

public sealed class GrainRuntimeOptions
{
    /// <summary>An activation unused this long is dropped from memory (Orleans' default).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Above this many activations the least recently used idle ones are dropped first.</summary>
    public int MaxActivations { get; set; } = 200_000;

    /// <summary>
    /// Keep every new activation (Orleans' way) instead of only those of grains called before,
    /// recently (<see cref="ActivationAdmission"/>); the others are dropped once their calls are done.
    /// </summary>
    public bool AdmitOnFirstCall { get; set; }

    /// <summary>Most commands applied and persisted together in one turn.</summary>
    public int MaxBatchSize { get; set; } = 2048;

    /// <summary>Compare-and-set attempts per turn before its callers get <see cref="GrainConflictException"/>.</summary>
    public int MaxWriteAttempts { get; set; } = 32;

    public void Validate()
    {
        if (IdleTimeout <= TimeSpan.Zero) throw new ArgumentException($"Runtime:IdleTimeout must be positive (was {IdleTimeout}).");
        if (MaxActivations < 1) throw new ArgumentException($"Runtime:MaxActivations must be at least 1 (was {MaxActivations}).");
        if (MaxBatchSize < 1) throw new ArgumentException($"Runtime:MaxBatchSize must be at least 1 (was {MaxBatchSize}).");
        if (MaxWriteAttempts < 1) throw new ArgumentException($"Runtime:MaxWriteAttempts must be at least 1 (was {MaxWriteAttempts}).");
    }
}
