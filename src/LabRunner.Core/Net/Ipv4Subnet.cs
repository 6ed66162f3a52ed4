using System.Globalization;

namespace LabRunner.Core.Net;

/// <summary>An IPv4 network in CIDR form. The network address always has its host bits clear.</summary>
public readonly record struct Ipv4Subnet
{
    public Ipv4Subnet(Ipv4Address network, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        PrefixLength = prefixLength;
        Network = new Ipv4Address(network.Value & MaskOf(prefixLength));
    }

    public Ipv4Address Network { get; }
    public int PrefixLength { get; }

    public uint Mask => MaskOf(PrefixLength);
    public long Size => 1L << (32 - PrefixLength);
    public Ipv4Address Broadcast => new(Network.Value | ~Mask);

    /// <summary>The first address a host can use (the network address itself is reserved below /31).</summary>
    public Ipv4Address FirstHost => PrefixLength >= 31 ? Network : Network.Add(1);
    public Ipv4Address LastHost => PrefixLength >= 31 ? Broadcast : Broadcast.Add(-1);
    public long HostCount => PrefixLength >= 31 ? Size : Size - 2;

    public Ipv4Address SubnetMask => new(Mask);

    public bool Contains(Ipv4Address address) => (address.Value & Mask) == Network.Value;

    public bool Contains(Ipv4Subnet other) => other.PrefixLength >= PrefixLength && Contains(other.Network);

    public bool Overlaps(Ipv4Subnet other) => Contains(other.Network) || other.Contains(Network);

    /// <summary>True when the address is the network or broadcast address, which no host may hold.</summary>
    public bool IsReserved(Ipv4Address address) =>
        PrefixLength < 31 && (address == Network || address == Broadcast);

    /// <summary>
    /// Parses <c>a.b.c.d/n</c>. <paramref name="hostBitsSet"/> reports text such as
    /// <c>10.0.0.5/24</c>, which names a subnet only loosely; callers decide whether to accept it.
    /// </summary>
    public static bool TryParse(string? text, out Ipv4Subnet subnet, out bool hostBitsSet)
    {
        subnet = default;
        hostBitsSet = false;
        if (string.IsNullOrEmpty(text)) return false;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1) return false;
        if (!Ipv4Address.TryParse(text[..slash], out var address)) return false;
        var lengthText = text[(slash + 1)..];
        if (lengthText.Length > 2 || !lengthText.All(char.IsAsciiDigit)) return false;
        var length = int.Parse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture);
        if (length > 32) return false;
        subnet = new Ipv4Subnet(address, length);
        hostBitsSet = subnet.Network != address;
        return true;
    }

    public static Ipv4Subnet Parse(string text) =>
        TryParse(text, out var s, out _) ? s : throw new FormatException($"'{text}' is not an IPv4 CIDR subnet.");

    private static uint MaskOf(int prefixLength) => prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Network}/{PrefixLength}");
}
