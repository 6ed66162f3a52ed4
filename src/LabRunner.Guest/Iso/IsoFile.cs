namespace LabRunner.Guest.Iso;

/// <summary>
/// A file for the root directory of a seed ISO. <see cref="Name"/> is the exact name the guest sees
/// (it travels in the Joliet tree, which Linux and Windows both read); <see cref="Content"/> is
/// written as-is. Record equality compares <see cref="Content"/> by buffer identity, not by bytes.
/// </summary>
public sealed record IsoFile(string Name, ReadOnlyMemory<byte> Content);
