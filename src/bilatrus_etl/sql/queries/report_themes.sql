-- Activity index of the focus country per programme and theme (themes where it took part), from mart_theme_profile.
SELECT
    framework_programme, theme_code, theme_name, participations, participations_fractional, all_participations,
    share_participations, activity_index, activity_index_fractional
FROM mart_theme_profile
WHERE participations > 0
ORDER BY framework_programme, activity_index DESC, theme_code
