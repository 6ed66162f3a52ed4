namespace LabRunner.Guest.Templates;

/// <summary>
/// A template's text and the path diagnostics show for it (a project file such as
/// <c>templates/cloud-init/user-data</c>, or the built-in default's name).
/// </summary>
public sealed record TemplateText(string DisplayPath, string Text);

/// <summary>
/// Where templates come from. The renderer asks the project's source first and falls back to the
/// defaults carried in the binary; the CLI implements the project side over <c>&lt;project&gt;/templates/</c>.
/// </summary>
public interface ITemplateSource
{
    /// <summary>The template at <paramref name="relativePath"/> (such as <c>cloud-init/user-data</c>), or null when this source has none.</summary>
    TemplateText? Find(string relativePath);
}

/// <summary>The template names the renderer looks up, relative to a <c>templates/</c> folder.</summary>
public static class TemplateNames
{
    public const string MetaData = "cloud-init/meta-data";
    public const string UserData = "cloud-init/user-data";
    public const string NetworkConfig = "cloud-init/network-config";
    public const string Unattend = "windows/unattend.xml";

    public static IReadOnlyList<string> All { get; } = [MetaData, UserData, NetworkConfig, Unattend];
}
