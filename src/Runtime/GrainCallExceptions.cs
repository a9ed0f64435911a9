namespace ThrottleCluster.Runtime;

/// <summary>A grain call failed; whether its command was applied is stated, never guessed.</summary>
public class GrainCallException(string message, bool mayHaveBeenApplied, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>False when the runtime knows the command left no trace in storage.</summary>
    public bool MayHaveBeenApplied { get; } = mayHaveBeenApplied;
}

/// <summary>Other writers kept winning the compare-and-set; the command was not applied.</summary>
public sealed class GrainConflictException(GrainId id, int attempts)
    : GrainCallException($"Grain {id}: state changed under {attempts} consecutive write attempts; the call was not applied.", mayHaveBeenApplied: false);

/// <summary>No grain type is registered for a kind, or it takes other command or result types.</summary>
public sealed class UnknownGrainKindException(string message) : GrainCallException(message, mayHaveBeenApplied: false);
