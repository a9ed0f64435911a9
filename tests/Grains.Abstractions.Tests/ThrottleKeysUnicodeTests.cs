using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace ThrottleCluster.Grains.Abstractions.Tests;

/// <summary>
/// Unicode spellings of one account must give one key (one quota), the same every time; spellings
/// of different mailboxes (other scripts) must not merge; a mixed-script domain is keyed as punycode.
/// </summary>
public class ThrottleKeysUnicodeTests
{
    [Theory]
    [InlineData("ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "alice@example.com")] // fullwidth, at sign and dot included
    [InlineData("ALICE@EXAMPLE.COM", "alice@example.com")]
    [InlineData("ﬁona@example.com", "fiona@example.com")] // ligature
    [InlineData("Jo\u0301se@example.com", "jós\u0065@example.com")] // decomposed accent composes
    [InlineData("user@BÜCHER.example", "user@xn--bcher-kva.example")] // uppercase IDN
    [InlineData("user@ＢＵ\u0308ＣＨＥＲ.example", "user@xn--bcher-kva.example")] // fullwidth, decomposed IDN
    [InlineData("user@bücher。example", "user@xn--bcher-kva.example")] // ideographic full stop
    [InlineData("ｊｏｈｎｄｏｅ４２", "johndoe42")] // account id
    public void Compatibility_spellings_share_the_plain_spellings_key(string login, string key)
        => Assert.Equal(key.Normalize(NormalizationForm.FormC), ThrottleKeys.Account(login));

    [Theory]
    [InlineData("раypal.com", "xn--ypal-43d9g.com")] // Cyrillic р and а inside a Latin label
    [InlineData("РАYPAL.COM", "xn--ypal-43d9g.com")]
    [InlineData("gооgle.com", "xn--ggle-55da.com")] // Cyrillic о
    public void Mixed_script_domains_are_keyed_as_their_punycode_apart_from_the_latin_domain(string domain, string key)
    {
        Assert.Equal(key, ThrottleKeys.Domain(domain));
        Assert.Equal($"alice@{key}", ThrottleKeys.Account($"Alice@{domain}"));
        Assert.NotEqual(ThrottleKeys.Domain(domain.Normalize(NormalizationForm.FormKC)), ThrottleKeys.Domain("paypal.com"));
    }

    [Fact]
    public void A_cyrillic_local_part_is_another_mailbox_with_its_own_key()
        => Assert.NotEqual(ThrottleKeys.Account("аlice@example.com"), ThrottleKeys.Account("alice@example.com"));

    [Theory]
    [InlineData("｛alice｝@example.com", "forbidden character (U+007B)")] // fullwidth braces become hash-tag braces
    [InlineData("alice\u3000smith@example.com", "forbidden character (U+0020)")] // ideographic space becomes a space
    public void Spellings_that_normalize_to_something_forbidden_are_refused_naming_the_value(string login, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => ThrottleKeys.Account(login));
        Assert.Contains($"'{login}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_lone_surrogate_is_refused_as_not_unicode()
    {
        // Built at run time: an attribute's string cannot hold a lone surrogate (it becomes U+FFFD).
        var login = "alice" + (char)0xD800 + "@example.com";
        Assert.Contains("is not valid Unicode", Assert.Throws<ArgumentException>(() => ThrottleKeys.Account(login)).Message);
    }

    private static readonly string[] Pieces =
    [
        "a", "Z", "é", "e\u0301", "É", "ü", "u\u0308", "ß", "ﬁ", "ａ", "Ａ", "１", "＠", "@", "@", ".", "。", "．", "-", "_", "+",
        "а", "р", "о", "Ω", "Ω", "K", "ǅ", "ı", "İ", "Ⅻ", "①", "x", "n", "xn--", "münchen", "bücher", "example", "com", "\u00a0", " ",
        "{", "｛", "\ud800", "😀", "\u200b", "\u0000",
    ];

    private static Arbitrary<string> Logins()
        => Gen.Elements(Pieces).ArrayOf().Select(p => string.Concat(p)).ToArbitrary();

    /// <summary>The key, or the refusal, as a value: the properties compare outcomes.</summary>
    private static string Outcome(string login)
    {
        try
        {
            return "key:" + ThrottleKeys.Account(login);
        }
        catch (ArgumentException)
        {
            return "refused";
        }
    }

    [Fact]
    public void The_same_login_always_gives_the_same_outcome_and_keys_are_fixed_points()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(Logins(), login =>
        {
            var outcome = Outcome(login);
            var again = Outcome(login);
            return outcome == again && (outcome == "refused" || Outcome(outcome["key:".Length..]) == outcome);
        }));
    }

    [Fact]
    public void Normalization_forms_and_fullwidth_spellings_of_a_login_share_one_outcome()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(Logins(), login =>
        {
            var outcome = Outcome(login);
            if (!IsWellFormed(login)) return outcome == "refused"; // a lone surrogate has no normal forms
            return Outcome(login.Normalize(NormalizationForm.FormC)) == outcome
                   && Outcome(login.Normalize(NormalizationForm.FormD)) == outcome
                   && Outcome(login.Normalize(NormalizationForm.FormKC)) == outcome
                   && Outcome(Fullwidth(login)) == outcome;
        }));
    }

    [Fact]
    public void Ascii_logins_share_a_key_with_their_upper_case_spelling()
    {
        var ascii = Gen.Elements("a", "B", "z", "0", "@", ".", "-", "x", "n", "example", "com", "+", "_").ArrayOf().Select(p => string.Concat(p)).ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(ascii, login => Outcome(login.ToUpperInvariant()) == Outcome(login)));
    }

    [Fact]
    public void Mixed_script_domain_labels_are_keyed_as_punycode()
    {
        var letters = Gen.Elements("a", "o", "p", "e", "c", "y", "l", "а", "о", "р", "е", "с", "у", "A", "О", "Р");
        var labels = letters.ArrayOf().Where(l => l.Length is > 1 and < 30)
            .Select(l => string.Concat(l))
            .Where(l => l.Any(c => c < 128) && l.Any(c => c >= 128))
            .ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(labels, label =>
        {
            var key = ThrottleKeys.Domain(label + ".com");
            return key.StartsWith("xn--", StringComparison.Ordinal) && key.All(char.IsAscii)
                   && key == ThrottleKeys.Domain(label.ToUpperInvariant() + ".COM")
                   && ThrottleKeys.Account("someone@" + label + ".com") == "someone@" + key;
        }));
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return false;
        }
        return true;
    }

    /// <summary>Printable ASCII as its fullwidth form (U+FF01-U+FF5E); everything else as it is.</summary>
    private static string Fullwidth(string text)
        => string.Concat(text.Select(c => c is > ' ' and <= '~' ? (char)(c - '!' + '！') : c));
}
