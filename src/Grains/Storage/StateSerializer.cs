using Orleans.Storage;

namespace ThrottleCluster.Grains.Storage;

/// <summary>The grain storage serializer of the product's providers: <see cref="StateFormats"/>, nothing else.</summary>
public sealed class StateSerializer : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input) => new(StateFormats.Serialize(input));

    public T? Deserialize<T>(BinaryData input) => StateFormats.Deserialize<T>(input.ToMemory());
}
