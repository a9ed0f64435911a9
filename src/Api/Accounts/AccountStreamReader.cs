using System.Buffers;
using System.Text.Json;

namespace ThrottleCluster.Api.Accounts;

/// <summary>
/// Streams a JSON array of <c>{"accountId", "email"}</c> objects with <see cref="Utf8JsonReader"/>
/// through a pooled buffer: a million records in well under a second of parsing, in constant memory
/// besides the records themselves. Unknown properties are skipped; a property of the wrong type or
/// an element that is not an object makes a record with that field missing (so it is skipped as
/// unusable); anything that is not a JSON array of values is a <see cref="JsonException"/>.
/// </summary>
internal static class AccountStreamReader
{
    private const int InitialBuffer = 1 << 16;
    private static readonly byte[] AccountId = "accountId"u8.ToArray();
    private static readonly byte[] Email = "email"u8.ToArray();

    public static async Task ReadAsync(Stream stream, Action<FileAccountDirectory.AccountRecord?> onRecord, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        try
        {
            var length = 0;
            var final = false;
            var state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var phase = Phase.Start;
            while (true)
            {
                if (!final && length < buffer.Length)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                    if (read == 0) final = true;
                    length += read;
                }
                var consumed = Parse(buffer.AsSpan(0, length), final, ref state, ref phase, onRecord);
                if (phase == Phase.Done) return;
                if (final) throw new JsonException("The file ends before the array does.");
                if (consumed == 0 && length == buffer.Length)
                {
                    // One record larger than the buffer: grow it.
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                    continue;
                }
                buffer.AsSpan((int)consumed, length - (int)consumed).CopyTo(buffer);
                length -= (int)consumed;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private enum Phase { Start, Elements, Done }

    private static long Parse(ReadOnlySpan<byte> data, bool final, ref JsonReaderState state, ref Phase phase, Action<FileAccountDirectory.AccountRecord?> onRecord)
    {
        var reader = new Utf8JsonReader(data, final, state);
        if (phase == Phase.Start)
        {
            if (!reader.Read()) return 0;
            if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException($"The file starts with {reader.TokenType}, not an array.");
            phase = Phase.Elements;
        }
        while (true)
        {
            var checkpoint = reader;
            var outcome = TryReadElement(ref reader, out var record);
            if (outcome == Element.NeedMore)
            {
                reader = checkpoint;
                break;
            }
            if (outcome == Element.End)
            {
                phase = Phase.Done;
                while (reader.Read())
                {
                    // Only a reader on the final block reports content after the array.
                }
                break;
            }
            onRecord(record);
        }
        state = reader.CurrentState;
        return reader.BytesConsumed;
    }

    private enum Element { Record, End, NeedMore }

    private static Element TryReadElement(ref Utf8JsonReader reader, out FileAccountDirectory.AccountRecord? record)
    {
        record = null;
        if (!reader.Read()) return Element.NeedMore;
        switch (reader.TokenType)
        {
            case JsonTokenType.EndArray:
                return Element.End;
            case JsonTokenType.StartObject:
                break;
            case JsonTokenType.StartArray:
                return reader.TrySkip() ? Element.Record : Element.NeedMore;
            default:
                return Element.Record; // null, a number, a string: not an account
        }
        var result = new FileAccountDirectory.AccountRecord();
        while (true)
        {
            if (!reader.Read()) return Element.NeedMore;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            var isId = reader.ValueTextEquals(AccountId);
            var isEmail = !isId && reader.ValueTextEquals(Email);
            if (!reader.Read()) return Element.NeedMore;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                if (!reader.TrySkip()) return Element.NeedMore;
                if (isId) result.AccountId = null;
                if (isEmail) result.Email = null;
                continue;
            }
            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            if (isId) result.AccountId = text;
            if (isEmail) result.Email = text;
        }
        record = result;
        return Element.Record;
    }
}
