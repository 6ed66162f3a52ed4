using System.Globalization;
using LabRunner.Core.Errors;

namespace LabRunner.Providers.HyperV.Cim;

/// <summary>
/// Reads CIM instances: every instance of one class in one namespace, in one call. The real client
/// talks to WMI through Microsoft.Management.Infrastructure; tests hand in records as the real classes
/// return them. Implementations throw <see cref="CimQueryException"/> for any CIM failure.
/// </summary>
public interface ICimClient
{
    Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, CancellationToken cancellationToken);

    /// <summary>
    /// The instances of the class that meet a WQL <paramref name="condition"/> (<c>LocalAccount = TRUE</c>), where
    /// enumerating them all would be slow (Win32_UserAccount on a domain member lists the domain's). By default every
    /// instance: callers filter again themselves.
    /// </summary>
    Task<IReadOnlyList<CimRecord>> QueryAsync(string @namespace, string className, string condition, CancellationToken cancellationToken) =>
        QueryAsync(@namespace, className, cancellationToken);
}

/// <summary>
/// One CIM instance as plain .NET values: strings, booleans, integers of the CIM width (ushort for
/// uint16, ulong for uint64, ...), arrays of those, DateTime/TimeSpan for datetime. Property names
/// compare case-insensitively, as in WMI.
/// </summary>
public sealed record CimRecord
{
    public CimRecord(string className, IReadOnlyDictionary<string, object?> properties)
    {
        ClassName = className;
        Properties = new Dictionary<string, object?>(properties, StringComparer.OrdinalIgnoreCase);
    }

    public string ClassName { get; }

    public IReadOnlyDictionary<string, object?> Properties { get; }

    public string? String(string name) => Properties.GetValueOrDefault(name) switch
    {
        null => null,
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString(),
    };

    /// <summary>A string array property (HostResource, Notes); a lone string counts as one element.</summary>
    public IReadOnlyList<string> Strings(string name) => Properties.GetValueOrDefault(name) switch
    {
        null => [],
        string s => [s],
        IEnumerable<string?> many => many.Where(s => s is not null).Select(s => s!).ToArray(),
        _ => [],
    };

    /// <summary>Any integral CIM value (uint8 … uint64), or a decimal string; null when absent or not a number.</summary>
    public long? Int64(string name)
    {
        var value = Properties.GetValueOrDefault(name);
        return value switch
        {
            null => null,
            bool => null,
            ulong u => u <= long.MaxValue ? (long)u : null,
            string s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null,
            IConvertible c when value is sbyte or byte or short or ushort or int or uint or long => c.ToInt64(CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    public bool? Bool(string name) => Properties.GetValueOrDefault(name) as bool?;
}

/// <summary>What went wrong with a CIM query, from its MI_Result status code.</summary>
public enum CimFailure
{
    Failed,
    AccessDenied,
    InvalidNamespace,
    InvalidClass,
    NotSupported,
    /// <summary>The provider or the WMI service is shutting down or not answering.</summary>
    ServiceUnavailable,
}

/// <summary>A CIM query failed; <see cref="HyperVErrors.FromCim"/> says what that means for the user.</summary>
public sealed class CimQueryException(CimFailure failure, string @namespace, string className, string message, Exception? inner = null)
    : LabRunnerException(ErrorCategory.HostFailure, message, inner)
{
    public CimFailure Failure { get; } = failure;
    public string Namespace { get; } = @namespace;
    public string ClassName { get; } = className;
}
