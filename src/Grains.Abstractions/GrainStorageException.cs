namespace ThrottleCluster.Grains.Abstractions;

/// <summary>
/// A grain's state could not be read or written, so its callers get no answer to act on: the write
/// may or may not have landed. Callers fail closed. Kept small on purpose (no inner exception): a
/// failed batch hands one to every caller it held, and the silo logs the cause once.
/// </summary>
[GenerateSerializer, Alias("tc.grain-storage-failed")]
public sealed class GrainStorageException : Exception
{
    public GrainStorageException() { }

    public GrainStorageException(string message) : base(message) { }

    public GrainStorageException(string message, Exception inner) : base(message, inner) { }
}
