using System.Buffers;
using System.Buffers.Binary;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

/// <summary>Little-endian writer for grain state; the first byte is the format version.</summary>
internal sealed class StateWriter
{
    // One buffer per thread, reused: a writer lives within one synchronous Serialize call, and only
    // the exact-size copy it hands out (ToArray) leaves it. Every grain write serializes.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    private readonly ArrayBufferWriter<byte> _buffer;

    public StateWriter(byte version)
    {
        _buffer = t_buffer ??= new ArrayBufferWriter<byte>(128);
        _buffer.ResetWrittenCount();
        U8(version);
    }

    public StateWriter U8(int value)
    {
        _buffer.GetSpan(1)[0] = checked((byte)value);
        _buffer.Advance(1);
        return this;
    }

    public StateWriter U32(long value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), checked((uint)value));
        _buffer.Advance(4);
        return this;
    }

    public StateWriter U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public StateWriter Count(SlidingCount count) => U32(count.Start).U32(count.Previous).U32(count.Current);

    public StateWriter Sketch(DistinctSketch sketch) => U32(sketch.Start).Bits(sketch.Previous).Bits(sketch.Current);

    public StateWriter Listing(ListMode mode, long until) => U8((int)mode).U32(until);

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    private StateWriter Bits(Bits256 bits) => U64(bits.A).U64(bits.B).U64(bits.C).U64(bits.D);
}

/// <summary>Reads what <see cref="StateWriter"/> wrote; anything unexpected is an <see cref="InvalidDataException"/>.</summary>
internal ref struct StateReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _kind;
    private int _position;

    public StateReader(ReadOnlySpan<byte> data, string kind, byte version)
    {
        _data = data;
        _kind = kind;
        var found = U8();
        if (found != version) throw Corrupt($"format version {found} is not the supported version {version}");
    }

    public byte U8()
    {
        Need(1);
        return _data[_position++];
    }

    public long U32()
    {
        Need(4);
        var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
        _position += 4;
        return value;
    }

    public ulong U64()
    {
        Need(8);
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
        _position += 8;
        return value;
    }

    public SlidingCount Count() => new(U32(), U32(), U32());

    public DistinctSketch Sketch() => new(U32(), Bits(), Bits());

    public (ListMode Mode, long Until) Listing()
    {
        var mode = U8();
        if (mode > (int)ListMode.Block) throw Corrupt($"listing mode {mode} is unknown");
        return ((ListMode)mode, U32());
    }

    private Bits256 Bits() => new(U64(), U64(), U64(), U64());

    public readonly void End()
    {
        if (_position != _data.Length) throw Corrupt($"{_data.Length - _position} unexpected trailing bytes");
    }

    public readonly InvalidDataException Corrupt(string problem) => new($"Corrupt {_kind} grain state: {problem}.");

    private readonly void Need(int count)
    {
        if (_position + count > _data.Length) throw Corrupt($"truncated at byte {_data.Length} of at least {_position + count}");
    }
}
