# Writes crates/raster/data/mosum_critical_values.csv: the critical values of the OLS-MOSUM
# monitoring test (max functional), from R strucchange's simulated table
# (monitorMECritvalTable, Zeileis, Leisch, Kleiber & Hornik 2005, "Monitoring structural
# change in dynamic econometric models", J. Applied Econometrics 20:99-121), the table that
# bfastmonitor's default boundary uses. Columns: h (bandwidth as a share of the history),
# period (the monitoring horizon as a multiple of the history: bfastmonitor's `end`),
# level (1 - alpha), critical value.
#
# Run from the repository root with Debian's r-base-core and r-cran-strucchange:
#   Rscript tools/gen_mosum_critical_values.R
suppressPackageStartupMessages(library(strucchange))
tab <- strucchange:::monitorMECritvalTable
dn <- dimnames(tab)
out <- "crates/raster/data/mosum_critical_values.csv"
con <- file(out, "w")
writeLines(sprintf("# OLS-MOSUM monitoring critical values (max functional): strucchange %s monitorMECritvalTable; tools/gen_mosum_critical_values.R",
                   as.character(packageVersion("strucchange"))), con)
writeLines("h,period,level,critical_value", con)
for (i in seq_along(dn[[1]])) for (j in seq_along(dn[[2]])) for (k in seq_along(dn[[3]])) {
  writeLines(sprintf("%s,%s,%s,%.17g", dn[[1]][i], dn[[2]][j], dn[[3]][k], tab[i, j, k, "max"]), con)
}
close(con)
