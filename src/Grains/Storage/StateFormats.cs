using System.Buffers.Binary;
using System.Text;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Storage;

/// <summary>
/// The stored form of every grain state of the product: compact, versioned binary written by each
/// kind's own logic, with no .NET type names in it, so types can be renamed without losing data.
/// </summary>
public static class StateFormats
{
    private static readonly Dictionary<Type, IStateFormat> Formats = new IStateFormat[]
    {
        new StateFormat<AccountState>(AccountLogic.Serialize, AccountLogic.Deserialize),
        new StateFormat<SourceState>(SourceLogic.Serialize, SourceLogic.Deserialize),
        new StateFormat<DomainState>(DomainLogic.Serialize, DomainLogic.Deserialize),
        new StateFormat<GlobalState>(GlobalLogic.Serialize, GlobalLogic.Deserialize),
        new StateFormat<ResetTokenState>(ResetTokenLogic.Serialize, ResetTokenLogic.Deserialize),
        new StateFormat<StoredPolicy>(SerializePolicy, DeserializePolicy),
    }.ToDictionary(format => format.StoredType);

    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not a stored state of the product.</exception>
    public static byte[] Serialize<T>(T stored) => For(typeof(T)).Serialize(stored!);

    /// <exception cref="InvalidDataException">The bytes are not a state of this kind.</exception>
    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes) => (T)For(typeof(T)).Deserialize(bytes);

    private static IStateFormat For(Type type) => Formats.TryGetValue(type, out var format)
        ? format
        : throw new NotSupportedException($"{Name(type)} is not a grain state of this product: only {string.Join(", ", Formats.Keys.Select(Name))} are stored.");

    // C# spelling: every stored type is a Stored`1, which alone names none of them.
    private static string Name(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`')]}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>"
        : type.Name;

    // Version (8 bytes, little-endian), then the policy as UTF-8 JSON.
    private static byte[] SerializePolicy(StoredPolicy policy)
    {
        var bytes = new byte[sizeof(long) + Encoding.UTF8.GetByteCount(policy.Json)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, policy.Version);
        Encoding.UTF8.GetBytes(policy.Json, bytes.AsSpan(sizeof(long)));
        return bytes;
    }

    private static StoredPolicy DeserializePolicy(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length < sizeof(long)) throw new InvalidDataException($"Corrupt policy grain state: {bytes.Length} bytes, fewer than the version's {sizeof(long)}.");
        return new StoredPolicy(BinaryPrimitives.ReadInt64LittleEndian(bytes.Span), Encoding.UTF8.GetString(bytes.Span[sizeof(long)..]));
    }

    private interface IStateFormat
    {
        Type StoredType { get; }

        byte[] Serialize(object stored);

        object Deserialize(ReadOnlyMemory<byte> bytes);
    }

    private sealed class StateFormat<TState>(Func<TState, byte[]> serialize, Func<ReadOnlyMemory<byte>, TState> deserialize) : IStateFormat
        where TState : class
    {
        public Type StoredType => typeof(Stored<TState>);

        public byte[] Serialize(object stored) => ((Stored<TState>)stored).Value is { } value
            ? serialize(value)
            : throw new ArgumentException($"A {typeof(TState).Name} with no value is cleared, not written.", nameof(stored));

        public object Deserialize(ReadOnlyMemory<byte> bytes) => new Stored<TState> { Value = deserialize(bytes) };
    }
}
