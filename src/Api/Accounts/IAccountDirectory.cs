using MimeKit;
using System.Text;

namespace ThrottleCluster.Api.Accounts;

/// <summary>An account the directory knows: its id (what a verified token returns) and its email.</summary>
public sealed record Account(string AccountId, string Email);

/// <summary>Resolves a login (an email address or an account id) to an account.</summary>
public interface IAccountDirectory
{
    /// <returns>The account, or null when no account matches. Throws only when the directory itself fails.</returns>
    ValueTask<Account?> FindAsync(string login, CancellationToken ct);
}

/// <summary>Rules every directory applies to what it hands out.</summary>
public static class AccountRules
{
    /// <summary>An account id is at most this many UTF-8 bytes (it travels inside reset tokens).</summary>
    public const int MaxAccountIdBytes = 256;

    /// <summary>RFC 5321's limit on a forward path.</summary>
    public const int MaxEmailLength = 320;

    /// <summary>Email lookups ignore surrounding white space and case.</summary>
    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    /// <summary>Why an account id is unusable, or null when it is fine.</summary>
    public static string? CheckAccountId(string? accountId)
    {
        if (string.IsNullOrEmpty(accountId)) return "the account id is empty";
        if (!TextRules.IsVisible(accountId)) return "the account id contains white space, control or format characters";
        if (Encoding.UTF8.GetByteCount(accountId) > MaxAccountIdBytes) return $"the account id is longer than {MaxAccountIdBytes} UTF-8 bytes";
        return null;
    }

    /// <summary>Why an email is unusable as a recipient, or null when it is fine.</summary>
    public static string? CheckEmail(string? email)
    {
        if (string.IsNullOrEmpty(email)) return "the email is empty";
        if (email.Length > MaxEmailLength) return $"the email is longer than {MaxEmailLength} characters";
        if (!TextRules.IsVisible(email)) return "the email contains white space, control or format characters";
        return IsPlainAddress(email) ? null : "the email is not a plain address (name@domain)";
    }

    /// <summary>A bare address that MimeKit parses back to itself: no display name, comments, route or folding.</summary>
    public static bool IsPlainAddress(string value)
        => MailboxAddress.TryParse(ParserOptions.Default, value, out var address)
           && string.IsNullOrEmpty(address.Name)
           && address.Route.Count == 0
           && string.Equals(address.Address, value, StringComparison.Ordinal)
           && address.LocalPart.Length > 0 && address.Domain.Length > 0;

    public static string Domain(string email) => email[(email.LastIndexOf('@') + 1)..].ToLowerInvariant();
}

/// <summary>Character rules for anything that may end up in a header, a log line or a grain key.</summary>
public static class TextRules
{
    /// <summary><see cref="IsPrintable"/> and no white space; visible ASCII is checked vectorized.</summary>
    public static bool IsVisible(ReadOnlySpan<char> text)
    {
        if (!text.ContainsAnyExceptInRange('!', '~')) return true;
        if (!IsPrintable(text)) return false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c)) return false;
        }
        return true;
    }

    /// <summary>
    /// False for control characters (C0, C1, DEL), format characters (bidi overrides, zero-width),
    /// line and paragraph separators, and unpaired surrogates.
    /// </summary>
    public static bool IsPrintable(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
                i++;
                continue;
            }
            if (char.IsLowSurrogate(c)) return false;
            switch (char.GetUnicodeCategory(c))
            {
                case System.Globalization.UnicodeCategory.Control:
                case System.Globalization.UnicodeCategory.Format:
                case System.Globalization.UnicodeCategory.LineSeparator:
                case System.Globalization.UnicodeCategory.ParagraphSeparator:
                case System.Globalization.UnicodeCategory.PrivateUse:
                case System.Globalization.UnicodeCategory.OtherNotAssigned:
                    return false;
            }
        }
        return true;
    }
}
