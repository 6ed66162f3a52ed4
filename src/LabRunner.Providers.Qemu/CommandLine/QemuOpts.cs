namespace LabRunner.Providers.Qemu.CommandLine;

/// <summary>
/// Quoting for values inside QEMU's <c>key=value,key=value</c> option strings. No shell is involved,
/// but QEMU's own option parser splits on commas: a path such as <c>/labs/a,readonly=off</c> would add
/// an option. QEMU reads <c>,,</c> as a literal comma.
/// </summary>
public static class QemuOpts
{
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\n', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("A QEMU option value cannot contain a newline or NUL.", nameof(value));
        return value.Replace(",", ",,", StringComparison.Ordinal);
    }
}
