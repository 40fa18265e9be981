namespace Keel.Client.Internal;

/// <summary>Registry wire shapes to public records.</summary>
internal static class RegistryMapping
{
    public static RegisteredModel ToModel(RegisteredModelDto? dto)
    {
        dto ??= new RegisteredModelDto();
        return new RegisteredModel(
            dto.Name ?? string.Empty,
            Mapping.ToTime(dto.CreationTimestamp),
            Mapping.ToTime(dto.LastUpdatedTimestamp),
            dto.Description,
            (dto.LatestVersions ?? []).Select(ToVersion).ToList(),
            Mapping.ToDictionary(dto.Tags),
            (dto.Aliases ?? []).Where(a => a.Alias is not null).ToDictionary(a => a.Alias!, a => a.Version ?? string.Empty, StringComparer.Ordinal));
    }

    public static ModelVersion ToVersion(ModelVersionDto? dto)
    {
        dto ??= new ModelVersionDto();
        return new ModelVersion(
            dto.Name ?? string.Empty,
            dto.Version ?? string.Empty,
            Mapping.ToTime(dto.CreationTimestamp),
            Mapping.ToTime(dto.LastUpdatedTimestamp),
            dto.Description,
            dto.Source ?? string.Empty,
            string.IsNullOrEmpty(dto.RunId) ? null : dto.RunId,
            dto.CurrentStage ?? "None",
            dto.Status ?? "READY",
            Mapping.ToDictionary(dto.Tags),
            string.IsNullOrEmpty(dto.RunLink) ? null : dto.RunLink,
            dto.Aliases ?? []);
    }

    public static RegistryChange ToChange(RegistryChangeDto dto) => new(
        dto.Name ?? string.Empty,
        dto.Kind ?? string.Empty,
        dto.Alias ?? dto.Stage ?? string.Empty,
        dto.OldVersion,
        dto.NewVersion,
        dto.PreviousStage,
        DateTimeOffset.FromUnixTimeMilliseconds(dto.Timestamp ?? 0),
        dto.UserId);
}
