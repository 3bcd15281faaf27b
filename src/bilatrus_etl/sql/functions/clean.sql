-- The SQL functions (macros) of staging, created in the build file by ingest/clean.py `install_functions`: text,
-- ids and PICs, money, dates, the flags that say why a present value became NULL, country and organisation keys,
-- roles and activity types. ingest/clean.py's docstring says what each one does; sql/staging/*.sql call them.

-- a run of two or more blanks, or one blank that is not a space, becomes one space: a lone space (most of a
-- title's blanks) is not a match, so long texts are rewritten only where they change
CREATE OR REPLACE MACRO squeeze_blanks(s) AS
        nullif(trim(regexp_replace(s, '[\s\x{00A0}]{2,}|[\t\n\f\r\x{00A0}]', ' ', 'g')), '');

-- whether squeeze_blanks can change the text (a blank its regex rewrites: RE2's \s is \t \n \f \r and space; or
-- an end that trim() strips: the code points of Unicode's space separators, Zs): most texts cannot, and these
-- searches are far cheaper than the regex and trim
CREATE OR REPLACE MACRO has_loose_blanks(s) AS
        contains(s, '  ') OR contains(s, chr(9)) OR contains(s, chr(10)) OR contains(s, chr(12)) OR contains(s, chr(13))
        OR contains(s, chr(160))
        OR ord(s) IN (32, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8239, 8287, 12288)
        OR ord(s[-1]) IN (32, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8239, 8287, 12288);

CREATE OR REPLACE MACRO clean_text(s) AS CASE WHEN has_loose_blanks(CAST(s AS VARCHAR))
        THEN squeeze_blanks(CAST(s AS VARCHAR)) ELSE nullif(CAST(s AS VARCHAR), '') END;

-- ids and PICs are digits as written almost always: one match says so, instead of the three rewrites that
-- give the same text
CREATE OR REPLACE MACRO clean_id(s) AS CASE WHEN regexp_full_match(CAST(s AS VARCHAR), '[0-9]+')
        THEN CAST(s AS VARCHAR) ELSE regexp_replace(clean_text(s), '\.0+$', '') END;

CREATE OR REPLACE MACRO clean_pic(s) AS CASE WHEN regexp_full_match(CAST(s AS VARCHAR), '[0-9]{5,12}')
        THEN CAST(s AS VARCHAR) ELSE nullif(regexp_extract(clean_id(s), '^[0-9]{5,12}$'), '') END;

CREATE OR REPLACE MACRO money_compact_any(s) AS
        nullif(regexp_replace(upper(s), '[\s\x{00A0}''€$£]|EUR', '', 'g'), '');

-- a text of digits, marks and signs only has nothing to drop: one match says so, instead of the rewrite
CREATE OR REPLACE MACRO money_compact(s) AS CASE WHEN regexp_full_match(CAST(s AS VARCHAR), '[0-9.,+-]+')
        THEN CAST(s AS VARCHAR) ELSE money_compact_any(CAST(s AS VARCHAR)) END;

CREATE OR REPLACE MACRO money_text_any(t, decimal_comma) AS CASE
        WHEN t IS NULL THEN NULL
        WHEN regexp_full_match(t, '[+-]?[0-9]+') THEN t
        WHEN regexp_full_match(t, '[+-]?[0-9.,]+') THEN CASE
            WHEN contains(t, ',') AND contains(t, '.') THEN CASE
                WHEN regexp_matches(t, ',[0-9]*$') THEN replace(replace(t, '.', ''), ',', '.')
                ELSE replace(t, ',', '') END
            WHEN contains(t, ',') THEN CASE
                WHEN length(t) - length(replace(t, ',', '')) > 1 THEN replace(t, ',', '')
                WHEN decimal_comma OR NOT regexp_matches(t, ',[0-9]{3}$') THEN replace(t, ',', '.')
                ELSE replace(t, ',', '') END
            ELSE CASE
                WHEN length(t) - length(replace(t, '.', '')) > 1 THEN replace(t, '.', '')
                WHEN decimal_comma AND regexp_full_match(t, '[+-]?[0-9]{1,3}\.[0-9]{3}') THEN replace(t, '.', '')
                ELSE t END
            END
        WHEN regexp_full_match(t, '[+-]?[0-9]+(\.[0-9]+)?E[+-]?[0-9]+') THEN CAST(TRY_CAST(t AS DOUBLE) AS VARCHAR)
        END;

-- digits with at most one decimal point, which money_text_any keeps as written unless decimal commas are used
CREATE OR REPLACE MACRO money_text(t, decimal_comma) AS CASE
        WHEN NOT decimal_comma AND regexp_full_match(t, '[+-]?[0-9]+(\.[0-9]+)?') THEN t
        ELSE money_text_any(t, decimal_comma) END;

CREATE OR REPLACE MACRO money_amount(t) AS TRY_CAST(t AS DECIMAL(18, 2));

CREATE OR REPLACE MACRO clean_money(s, decimal_comma) AS
        money_amount(money_text(money_compact(s), decimal_comma));

CREATE OR REPLACE MACRO date_in_range(d) AS
        CASE WHEN year(d) BETWEEN 1900 AND 2100 THEN d END;

CREATE OR REPLACE MACRO parse_date(s) AS coalesce(
        TRY_CAST(clean_text(s) AS DATE),
        CAST(try_strptime(clean_text(s), ['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M',
            '%d/%m/%Y', '%d.%m.%Y', '%Y/%m/%d', '%d-%m-%Y', '%Y%m%d', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M'])
            AS DATE));

CREATE OR REPLACE MACRO clean_date(s) AS date_in_range(parse_date(s));

-- Flags: why a value that is present did not become a typed value (NULL when it did, or was empty).
CREATE OR REPLACE MACRO is_missing_marker(s) AS
        regexp_full_match(lower(clean_text(s)), '(-+|–|—|n/?a|n\.a\.?|none|null|nan|nil|\?+|\*+|\.+|/)');

CREATE OR REPLACE MACRO money_issue_of(s, money_text, amount) AS CASE
        WHEN amount IS NOT NULL OR clean_text(s) IS NULL THEN NULL
        WHEN is_missing_marker(s) THEN 'missing-value marker'
        WHEN money_text IS NOT NULL THEN 'out of range for DECIMAL(18,2)'
        ELSE 'not a number' END;

CREATE OR REPLACE MACRO money_issue(s, decimal_comma) AS
        money_issue_of(s, money_text(money_compact(s), decimal_comma), clean_money(s, decimal_comma));

CREATE OR REPLACE MACRO date_issue_of(s, parsed) AS CASE
        WHEN date_in_range(parsed) IS NOT NULL OR clean_text(s) IS NULL THEN NULL
        WHEN is_missing_marker(s) THEN 'missing-value marker'
        WHEN parsed IS NOT NULL THEN 'outside 1900-2100'
        ELSE 'not a date' END;

CREATE OR REPLACE MACRO date_issue(s) AS date_issue_of(s, parse_date(s));

CREATE OR REPLACE MACRO code_issue(s, mapped, what) AS CASE
        WHEN mapped IS NOT NULL OR clean_text(s) IS NULL THEN NULL
        WHEN is_missing_marker(s) THEN 'missing-value marker'
        ELSE 'unknown ' || what END;

CREATE OR REPLACE MACRO value_flag(name, s, issue) AS CASE WHEN issue IS NOT NULL THEN
        name || ' ' || CAST(to_json(left(CAST(s AS VARCHAR), 100)) AS VARCHAR) || ': ' || issue || ', kept as NULL' END;

CREATE OR REPLACE MACRO country_key(s) AS
        nullif(regexp_replace(upper(strip_accents(CAST(s AS VARCHAR))), '[^\pL\pN]+', '', 'g'), '');

CREATE OR REPLACE MACRO org_name_text(s) AS
        trim(regexp_replace(upper(strip_accents(CAST(s AS VARCHAR))), '[^A-Z0-9]+', ' ', 'g'));

CREATE OR REPLACE MACRO norm_org_name(s) AS nullif(org_name_text(s), '');

-- org_name_text once (not norm_org_name, whose nullif the optimiser computes for every row): only rows
-- without a PIC pay for the name's normalisation
CREATE OR REPLACE MACRO org_key(pic, name, country) AS coalesce(
        pic, 'name-' || left(md5(coalesce(org_name_text(name), '') || '|' || coalesce(country, '')), 16));

CREATE OR REPLACE MACRO role_key(s) AS
        nullif(lower(regexp_replace(CAST(s AS VARCHAR), '[^A-Za-z]+', '', 'g')), '');

CREATE OR REPLACE MACRO role_label(s) AS nullif(lower(trim(regexp_replace(
        regexp_replace(CAST(s AS VARCHAR), '([a-z])([A-Z])', '\1 \2', 'g'), '[^A-Za-z]+', ' ', 'g'))), '');

CREATE OR REPLACE MACRO unescape_html(s) AS replace(replace(replace(replace(replace(
        CAST(s AS VARCHAR), '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', chr(39)), '&amp;', '&');

CREATE OR REPLACE MACRO activity_key(s) AS
        nullif(upper(regexp_replace(strip_accents(CAST(s AS VARCHAR)), '[^A-Za-z0-9]+', '', 'g')), '');
