using System.Globalization;

namespace LabRunner.Core.Net;

/// <summary>
/// A 48-bit MAC address. LabRunner prints it in the dash form Hyper-V and unattend.xml use
/// (<c>02-1A-2B-3C-4D-5E</c>); cloud-init gets the colon form.
/// </summary>
public readonly record struct MacAddress(ulong Value)
{
    public byte this[int index] => (byte)(Value >> (8 * (5 - index)));

    /// <summary>Bit 0 of the first octet: a group (multicast) address, which no adapter may use.</summary>
    public bool IsMulticast => (this[0] & 0x01) != 0;

    /// <summary>Bit 1 of the first octet: the address was assigned locally, not by a vendor's OUI.</summary>
    public bool IsLocallyAdministered => (this[0] & 0x02) != 0;

    public bool IsZero => Value == 0;

    /// <summary>Accepts <c>02-1A-…</c>, <c>02:1a:…</c> and Hyper-V's bare <c>021A2B3C4D5E</c>.</summary>
    public static bool TryParse(string? text, out MacAddress mac)
    {
        mac = default;
        if (string.IsNullOrEmpty(text)) return false;
        string hex;
        if (text.Length == 17)
        {
            var sep = text[2];
            if (sep is not ('-' or ':')) return false;
            for (var i = 2; i < 17; i += 3)
                if (text[i] != sep) return false;
            hex = string.Concat(Enumerable.Range(0, 6).Select(i => text.Substring(i * 3, 2)));
        }
        else if (text.Length == 12)
        {
            hex = text;
        }
        else
        {
            return false;
        }
        if (!hex.All(char.IsAsciiHexDigit)) return false;
        mac = new MacAddress(ulong.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        return true;
    }

    public static MacAddress Parse(string text) =>
        TryParse(text, out var m) ? m : throw new FormatException($"'{text}' is not a MAC address.");

    public string ToString(char separator)
    {
        var value = Value;
        return string.Join(separator, Enumerable.Range(0, 6).Select(i => ((byte)(value >> (8 * (5 - i)))).ToString("X2", CultureInfo.InvariantCulture)));
    }

    /// <summary>Dash form, upper case: what Hyper-V Manager, unattend.xml and <c>lab plan</c> show.</summary>
    public override string ToString() => ToString('-');

    /// <summary>Colon form, lower case: what cloud-init and Linux tools show.</summary>
    public string ToColonString() => ToString(':').ToLowerInvariant();

    /// <summary>Hyper-V's <c>-StaticMacAddress</c> form: twelve hex digits, no separators.</summary>
    public string ToBareString() => ToString('-').Replace("-", "", StringComparison.Ordinal);
}
