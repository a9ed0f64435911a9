using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace ThrottleCluster.Grains.Tests;

/// <summary>Orleans' own serializer and copier, as a grain call between silos (or within one) uses them.</summary>
public static class OrleansWire
{
    private static readonly ServiceProvider Services = new ServiceCollection().AddSerializer().BuildServiceProvider();

    public static Serializer Serializer { get; } = Services.GetRequiredService<Serializer>();

    public static DeepCopier Copier { get; } = Services.GetRequiredService<DeepCopier>();

    /// <summary>The value as the other silo reads it: serialized and deserialized.</summary>
    public static T Across<T>(T value) => Serializer.Deserialize<T>(Serializer.SerializeToArray(value))!;
}
