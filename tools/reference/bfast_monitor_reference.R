#!/usr/bin/env Rscript
## Reference values for BFAST Monitor, computed with R's strucchange.
##
## Verbesselt, J., Zeileis, A., Herold, M. (2012). Near real-time disturbance detection using
## satellite image time series. Remote Sensing of Environment 123, 98-108.
## doi:10.1016/j.rse.2012.02.022
## Zeileis, A., Leisch, F., Kleiber, C., Hornik, K. (2005). Monitoring structural change in
## dynamic econometric models. Journal of Applied Econometrics 20, 99-121 (the OLS-MOSUM
## monitoring process and its boundary, as implemented by strucchange's mefp()/monitor()).
## Brown, R.L., Durbin, J., Evans, J.M. (1975). Techniques for testing the constancy of
## regression relationships over time. JRSS B 37, 149-192 (recursive CUSUM, used reversed as
## the "ROC" stable-history test of Verbesselt et al. 2012, section 2.3).
##
## The R package bfast is on CRAN only (not reachable from this machine), so its
## bfastmonitor() procedure is rebuilt here ON TOP OF strucchange (Debian r-cran-strucchange),
## following the paper and bfast's documented behaviour; no bfast code is used. All the
## statistics (recursive residuals, Rec-CUSUM process and its p-value and boundary, the
## OLS-MOSUM monitoring process, its critical value and boundary) come from strucchange.
##
## The procedure (bfastmonitor's defaults: formula response ~ trend + harmon, order 3,
## history "ROC", type "OLS-MOSUM", h = 0.25, end = 10, level = c(0.05, 0.05)):
##
##  1. Regressors (bfastpp): for a ts y of frequency f with time t_i (decimal years):
##       trend_i = i, the 1-based position in the ts (NA observations keep their position:
##                 they are dropped after the columns are made),
##       harmon  = cos(2 pi k t_i) for k = 1..order, then sin(2 pi k t_i) for k = 1..order.
##     Design column order: (Intercept), trend, harmoncos1..harmoncos<order>,
##     harmonsin1..harmonsin<order>.  (Not interleaved cos/sin.)
##  2. History = observations with t < start (start = year + (period - 1) / f).
##  3. Stable-history start ("ROC"): reverse the history; strucchange efp(type = "Rec-CUSUM")
##     on the reversed data: recursive residuals w_j (j = 1..m, m = n - k), sigma = sd(w)
##     (mean-centred, divisor m - 1), process W_0 = 0, W_j = sum_{i<=j} w_i / (sigma sqrt(m)).
##     sctest(): p-value of max_j |W_j| / (1 + 2 j / m) (Brownian motion, max functional).
##     If p < level[2]: j* = first j >= 1 with |W_j| > boundary_j, where boundary() is
##     lambda (1 + 2 j / m), lambda solved by uniroot() for a 5 % p-value (boundary()'s own
##     default alpha = 0.05, whatever level is); the stable history starts at row
##     (m + 1) - j* + 1 of the forward-ordered history. Else it starts at the first row.
##     history = "all": the first history observation.
##  4. OLS fit of the model on the stable history (n obs, k = 2 + 2 order regressors):
##     coefficients, R^2 = 1 - RSS / sum (y - mean y)^2, sigma = sqrt(RSS / (n - k)).
##  5. Monitoring (strucchange mefp(type = "OLS-MOSUM", h, alpha = level[1], period = end)
##     and monitor()) over the stable history plus every later observation (N in all):
##       e_i = y_i - x_i' beta_hat,  K = floor(h n),
##       MO_t = sum_{i = t - K + 1}^{t} e_i / (sigma sqrt(n)),  t = n + 1, ..., N,
##       boundary_t = c * sqrt(2 * logPlus(t / n)),  logPlus(x) = 1 if x <= e, else log(x)
##       (so c * sqrt(2) while t / n <= e),
##     c = strucchange's tabulated critical value (monitorMECritvalTable, h = 0.25,
##     period = end = 10, "max" functional) linearly interpolated at 1 - alpha.
##     Break = time of the first t with |MO_t| > boundary_t (NA if none).
##  6. Magnitude = median of (y_i - x_i' beta_hat) over the observations with t >= start
##     (the whole monitoring period, not only after the break; NAs already dropped).
##
## Series (data read in place from --data, default ../shared/data/timeseries):
##   som NDVI.b / NDVI.a : ts(values, start = c(2000, 4), frequency = 23), i.e. exact times
##       2000 + 3/23 + (i - 1)/23 (som.csv prints them to 6 decimals; asserted equal when
##       rounded); start = c(2010, 13); history ROC and all; plus the help example
##       history = c(2008, 7), order = 4 on NDVI.b.
##   simts : seasonal + abrupt + remainder, ts start c(2000, 4) (the start the bfast authors'
##       simulation helper used; the file does not store it), frequency 23; start c(2007, 1).
##       NB: simts.csv's "abrupt" column is identically 0 (the simulated series has no break;
##       bfast's own example finds none), so no true break time exists for it.
##   harvest : ts start c(2000, 4), frequency 23 (assumed: MODIS 16-day from Feb 2000);
##       start c(2006, 1), before the harvest that bfast's example dates to observation 153.
##   modis : every pixel of modisraster.tif (read with gdallocationinfo -valonly; x 1/10000;
##       NaN dropped), pixel p = row * 5 + col, row 0 = top. Time conventions:
##       reg_full : bfastts-like 16-day ts: index year + (doy - 1) / 16 / 23 -> regular ts of
##                  frequency 23 (as.ts of a zoo series), start = c(2010, 12) (the help example);
##       reg_win  : the same ts windowed to end c(2011, 14) (the help example's helper);
##       true_full: the true acquisition dates, t = year + (doy - 1) / days_in_year (365 or
##                  366); trend = t itself (decimal years; there is no regular position), the
##                  harmonics cos/sin(2 pi k t); start = the true-date time of 2010-06-26
##                  (the acquisition that is period 12 of 2010);
##       true_win : true_full cut at 2011-07-28 (period 14 of 2011).
##     Every convention is run with history ROC and all, order 3 and 1 (400 pixel runs, all
##     written to --full, default /var/tmp/bfast_monitor_r_full.json, which
##     bfast_monitor_numpy.py checks). The committed fixture keeps, to stay small: ROC/order 3
##     of reg_full, reg_win and true_full in detail (MOSUM values, boundary), and a summary of
##     ROC/order 1, all/order 3 and all/order 1 for reg_win and true_full.
##
## Output: JSON (floats written with the fewest digits that read back to the same double).
## Run from the repository root:
##   Rscript tools/reference/bfast_monitor_reference.R [--data DIR] [--out FILE]
## The fixture is generated by this script: do not edit it by hand.

suppressPackageStartupMessages({
  library(strucchange)
  library(zoo)
})

args <- commandArgs(trailingOnly = TRUE)
getarg <- function(name, default) {
  i <- match(name, args)
  if (is.na(i)) default else args[i + 1]
}
DATA <- getarg("--data", "../shared/data/timeseries")
OUT <- getarg("--out", "crates/raster/tests/fixtures/timeseries/bfast_monitor_reference.json")
## every run with every field (400 pixel runs), for bfast_monitor_numpy.py; not committed
FULL <- getarg("--full", "/var/tmp/bfast_monitor_r_full.json")
H <- 0.25
END <- 10
LEVEL <- c(0.05, 0.05)

## ---------------------------------------------------------------- tiny JSON writer
source(file.path("tools", "reference", "json_out.R"))

## ---------------------------------------------------------------- design (bfastpp-like)
## y: values (NA allowed), tt: times (decimal years), trend: trend regressor per obs
make_frame <- function(y, tt, trend, order) {
  hm <- outer(2 * pi * tt, 1:order)
  harmon <- cbind(cos(hm), sin(hm))
  colnames(harmon) <- c(paste0("cos", 1:order), paste0("sin", 1:order))
  d <- data.frame(time = tt, response = as.numeric(y), trend = trend)
  d$harmon <- harmon
  d[!is.na(d$response), , drop = FALSE]
}

FORMULA <- response ~ trend + harmon

## ---------------------------------------------------------------- ROC
history_roc_sc <- function(hist, level) {
  n <- nrow(hist)
  rev <- hist[n:1, , drop = FALSE]
  rc <- efp(FORMULA, data = rev, type = "Rec-CUSUM")
  st <- sctest(rc)
  bd <- as.numeric(boundary(rc))
  pr <- as.numeric(rc$process)
  j <- NA
  if (st$p.value < level) {
    j <- min(which(abs(pr)[-1] > bd[-1]))
    idx <- length(pr) - j + 1
  } else {
    idx <- 1
  }
  ## strucchange's default recursive residuals (recresid engine "R") update the OLS fit row
  ## by row and carry rounding errors of ~1e-8. The same statistic from recursive residuals
  ## computed by a fresh least-squares fit (lm.fit, QR) per row is recorded too (engine "C"
  ## is no help: it loses all precision on some of these designs), and must give the same
  ## start.
  Xr <- model.matrix(FORMULA, data = rev)
  yr <- rev$response
  kk <- ncol(Xr)
  wd <- vapply((kk + 1):n, function(r) {
    f <- lm.fit(Xr[1:(r - 1), , drop = FALSE], yr[1:(r - 1)])
    stopifnot(f$rank == kk)
    z <- backsolve(qr.R(f$qr), Xr[r, f$qr$pivot], transpose = TRUE)
    (yr[r] - sum(Xr[r, ] * f$coefficients)) / sqrt(1 + sum(z^2))
  }, 0)
  m <- length(wd)
  pc <- cumsum(wd) / (sd(wd) * sqrt(m))
  stat_d <- max(abs(pc) / (1 + 2 * (1:m) / m))
  p_d <- strucchange:::pvalue.efp(stat_d, "Brownian motion", FALSE, "max", NULL, 1)
  jd <- if (p_d < level) min(which(abs(pc) > bd[-1])) else NA
  stopifnot(identical(as.integer(jd), as.integer(j)))
  list(start = hist$time[idx], start_row = as.integer(idx), p_value = unname(st$p.value),
       statistic = unname(st$statistic), lambda = bd[1], first_crossing_j = as.integer(j),
       m = length(pr) - 1L, statistic_direct = stat_d, p_value_direct = p_d)
}

## ---------------------------------------------------------------- one monitoring run
## data: frame from make_frame over the whole series; start: decimal time
bfm_sc <- function(data, start, history = c("ROC", "all"), freq = 23) {
  history <- match.arg(history)
  hist_all <- data[data$time < start, , drop = FALSE]
  roc <- NULL
  if (history == "ROC") {
    roc <- history_roc_sc(hist_all, LEVEL[2])
    hstart <- roc$start
  } else {
    hstart <- hist_all$time[1]
  }
  hist <- hist_all[hist_all$time >= hstart, , drop = FALSE]
  n <- nrow(hist)
  fit <- lm(FORMULA, data = hist)
  k <- length(coef(fit))
  ok <- !(floor(H * n) <= 1 || n <= k)
  mon_df <- data[data$time >= hstart, , drop = FALSE]
  rss <- sum(residuals(fit)^2)
  res <- list(
    history = history,
    start = start,
    history_start = hstart,
    history_end = hist$time[n],
    n_history = n,
    n_monitor = as.integer(sum(mon_df$time >= start)),
    n_regressors = as.integer(k),
    coef_names = arr(names(coef(fit))),
    coefficients = arr(unname(coef(fit))),
    r_squared = summary(fit)$r.squared,
    rmse_df = sqrt(rss / (n - k)),
    rmse_n = sqrt(rss / n)
  )
  if (!ok) {  # bfastmonitor: warning, no monitoring, magnitude NA
    res$ok <- FALSE
    res$break_time <- NA
    res$magnitude <- NA
    if (!is.null(roc)) res$roc <- roc
    return(res)
  }
  res$ok <- TRUE
  mf <- mefp(FORMULA, data = hist, type = "OLS-MOSUM", h = H, alpha = LEVEL[1], period = END)
  mon <- monitor(mf, data = mon_df, verbose = FALSE)
  N <- nrow(mon_df)
  proc <- as.numeric(mon$process)
  bnd <- mon$border((mon$histsize + 1):N)
  stopifnot(length(proc) == N - n, length(bnd) == N - n)
  brk_idx <- mon$breakpoint
  pred <- predict(fit, newdata = mon_df)
  sel <- mon_df$time >= start
  res$critical_value <- mon$critval
  res$window_K <- as.integer(floor(H * n))
  res$sigma_hat <- summary(fit)$sigma
  res$mosum_time <- arr(mon_df$time[(n + 1):N])
  res$mosum <- arr(proc)
  res$boundary <- arr(bnd)
  res$break_time <- if (is.na(brk_idx)) NA else mon_df$time[brk_idx]
  res$break_index <- if (is.na(brk_idx)) NA else as.integer(brk_idx - n)  # 1-based among n+1..N
  res$magnitude <- median(mon_df$response[sel] - pred[sel])
  res$max_abs_mosum <- max(abs(proc))
  if (!is.null(roc)) res$roc <- roc
  res
}

## trend-in-years parametrisation (regular series): y ~ time + harmon, same fitted values
time_trend_coef <- function(data, r) {
  hist <- data[data$time >= r$history_start & data$time < r$start, , drop = FALSE]
  f1 <- lm(response ~ trend + harmon, data = hist)
  f2 <- lm(response ~ time + harmon, data = hist)
  stopifnot(max(abs(fitted(f1) - fitted(f2))) < 1e-10)
  unname(coef(f2))
}

## decimal-period label "2010(13)"
period_label <- function(t, freq = 23) {
  if (is.na(t)) return(NA)
  y <- floor(t + 1e-9)
  sprintf("%d(%d)", as.integer(y), as.integer(round((t - y) * freq) + 1))
}

ts_frame <- function(y, start_yp, freq, order) {
  z <- ts(y, start = start_yp, frequency = freq)
  make_frame(as.numeric(z), as.numeric(time(z)), seq_along(z), order)
}

sha256 <- function(path) {
  out <- system2("sha256sum", path, stdout = TRUE)
  strsplit(out, " ")[[1]][1]
}

results <- list()
printed <- character(0)
say <- function(...) { s <- sprintf(...); cat(s, "\n"); printed <<- c(printed, s) }

## ---------------------------------------------------------------- som
som <- read.csv(file.path(DATA, "som.csv"), check.names = FALSE)
som_ts <- ts(som[["NDVI.b"]], start = c(2000, 4), frequency = 23)
stopifnot(all(abs(round(as.numeric(time(som_ts)), 6) - som$Time) < 1e-9))
start_som <- 2010 + (13 - 1) / 23
for (col in c("NDVI.b", "NDVI.a")) {
  for (hist in c("ROC", "all")) {
    d <- ts_frame(som[[col]], c(2000, 4), 23, 3)
    r <- bfm_sc(d, start_som, hist)
    r$coefficients_time_trend <- arr(time_trend_coef(d, r))
    key <- sprintf("som_%s_%s", col, hist)
    r$series <- key
    results[[key]] <- r
    say("%-18s history %s (%s)  n=%d  R2=%.6f  break %s (%s)  magnitude %.8f",
        key, format(r$history_start, digits = 10), period_label(r$history_start), r$n_history,
        r$r_squared, format(r$break_time, digits = 10), period_label(r$break_time), r$magnitude)
  }
}
## the help example: history = c(2008, 7), order = 4 (fixed history start)
d4 <- ts_frame(som[["NDVI.b"]], c(2000, 4), 23, 4)
fixed_hist <- 2008 + (7 - 1) / 23
r <- bfm_sc(d4[d4$time >= fixed_hist, , drop = FALSE], start_som, "all")
r$history <- "fixed 2008(7)"
r$order <- 4
r$series <- "som_NDVI.b_hist2008p7_order4"
results[[r$series]] <- r
say("%-18s history %s  R2=%.6f  break %s", r$series, period_label(r$history_start),
    r$r_squared, period_label(r$break_time))

## ---------------------------------------------------------------- simts, harvest
sim <- read.csv(file.path(DATA, "simts.csv"))
sim_y <- sim$seasonal + sim$abrupt + sim$remainder
harv <- read.csv(file.path(DATA, "harvest.csv"))
named <- list(
  simts = list(y = sim_y, start = 2007 + (1 - 1) / 23),
  harvest = list(y = harv$harvest, start = 2006 + (1 - 1) / 23)
)
for (nm in names(named)) {
  for (hist in c("ROC", "all")) {
    d <- ts_frame(named[[nm]]$y, c(2000, 4), 23, 3)
    r <- bfm_sc(d, named[[nm]]$start, hist)
    r$coefficients_time_trend <- arr(time_trend_coef(d, r))
    key <- sprintf("%s_%s", nm, hist)
    r$series <- key
    results[[key]] <- r
    say("%-18s history %s  n=%d  R2=%.6f  break %s  magnitude %.8f", key,
        period_label(r$history_start), r$n_history, r$r_squared,
        period_label(r$break_time), r$magnitude)
  }
}

## ---------------------------------------------------------------- modis pixels
tif <- file.path(DATA, "modisraster.tif")
dates <- as.Date(read.csv(file.path(DATA, "modisraster_dates.csv"))$dates)
lt <- as.POSIXlt(dates)
yr <- 1900 + lt$year
doy <- lt$yday + 1
diy <- ifelse((yr %% 4 == 0 & yr %% 100 != 0) | yr %% 400 == 0, 366, 365)
t_true <- yr + (doy - 1) / diy
## bfastts-like 16-day regularisation: index year + (doy - 1) / 16 / 23, then a regular ts
bfastts_like <- function(x) as.ts(zoo(x, yr + (doy - 1) / 16 / 23))
start_reg <- 2010 + (12 - 1) / 23
win_end_reg <- 2011 + (14 - 1) / 23
start_true <- t_true[match(as.Date("2010-06-26"), dates)]
win_end_true <- t_true[match(as.Date("2011-07-28"), dates)]
stopifnot(!is.na(start_true), !is.na(win_end_true))

pixels <- list()
nan_count <- integer(0)
for (row in 0:4) for (col in 0:4) {
  v <- system2("gdallocationinfo", c("-valonly", tif, col, row), stdout = TRUE)
  v <- suppressWarnings(as.numeric(v))
  stopifnot(length(v) == length(dates))
  pixels[[length(pixels) + 1]] <- v / 10000
  nan_count <- c(nan_count, sum(is.na(v)))
}
px_summary_fields <- c("history_start", "n_history", "coefficients", "r_squared", "rmse_df",
                       "break_time", "magnitude", "max_abs_mosum")
modis <- list()
modis_full <- list()
for (p in seq_along(pixels)) {
  x <- pixels[[p]]
  z <- bfastts_like(x)
  stopifnot(frequency(z) == 23, length(z) == length(x))
  zt <- as.numeric(time(z))
  for (order in c(3, 1)) {
    conv <- list(
      reg_full = make_frame(as.numeric(z), zt, seq_along(z), order),
      reg_win = {
        keep <- zt <= win_end_reg + 1e-8
        make_frame(as.numeric(z)[keep], zt[keep], seq_along(z)[keep], order)
      },
      true_full = make_frame(x, t_true, t_true, order),
      true_win = {
        keep <- t_true <= win_end_true
        make_frame(x[keep], t_true[keep], t_true[keep], order)
      }
    )
    for (cv in names(conv)) {
      st <- if (startsWith(cv, "reg")) start_reg else start_true
      for (hist in c("ROC", "all")) {
        r <- bfm_sc(conv[[cv]], st, hist)
        key <- sprintf("px%02d_%s_%s_o%d", p - 1, cv, hist, order)
        r$pixel <- p - 1L
        r$time_convention <- cv
        r$order <- as.integer(order)
        modis_full[[key]] <- r
        ## committed fixture: detail for ROC/order 3 (not true_win), a summary for the
        ## other history/order combinations of reg_win and true_full
        detail <- (order == 3 && hist == "ROC" && cv != "true_win")
        if (!detail && !(cv %in% c("reg_win", "true_full"))) next
        ## pixel, convention and order are in the key; the critical value is in meta
        r$pixel <- r$time_convention <- r$order <- r$critical_value <- r$sigma_hat <- NULL
        if (!detail) {
          r <- c(list(history = hist), r[px_summary_fields])
        } else {
          ## pixels: the boundary is one value over the whole monitoring (t / n <= e)
          b <- r$boundary$v
          if (all(b == b[1])) r$boundary <- b[1]
          r$mosum_time <- NULL
          r$coef_names <- NULL
        }
        modis[[key]] <- r
      }
    }
  }
}
say("modis pixel 0 reg_full ROC o3: magnitude %.8f (help example prints -0.08451347)",
    modis[["px00_reg_full_ROC_o3"]]$magnitude)
say("modis pixel 0 reg_win  ROC o3: break %.8f magnitude %.8f (help example prints 2011.34782609, -0.08709291)",
    modis[["px00_reg_win_ROC_o3"]]$break_time, modis[["px00_reg_win_ROC_o3"]]$magnitude)
stopifnot(all(vapply(modis_full, function(r) is.null(r$critical_value) || r$critical_value == results[[1]]$critical_value, TRUE)))
say("critical value (OLS-MOSUM, h = %.2f, period = %d, alpha = %.2f): %s", H, END, LEVEL[1],
    jnum(results[[1]]$critical_value))

## ---------------------------------------------------------------- write
files <- c("som.csv", "simts.csv", "harvest.csv", "modisraster.tif", "modisraster_dates.csv")
meta <- list(
  generator = "tools/reference/bfast_monitor_reference.R",
  command = paste(c("Rscript tools/reference/bfast_monitor_reference.R", args), collapse = " "),
  date = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
  r_version = R.version.string,
  strucchange = as.character(packageVersion("strucchange")),
  zoo = as.character(packageVersion("zoo")),
  gdal = system2("gdalinfo", "--version", stdout = TRUE),
  inputs_sha256 = setNames(lapply(files, function(f) sha256(file.path(DATA, f))), files),
  settings = list(formula = "response ~ trend + harmon", h = H, end = END,
                  level_monitor = LEVEL[1], level_roc = LEVEL[2], type = "OLS-MOSUM",
                  order = 3, frequency = 23),
  conventions = list(
    coefficients = "order: (Intercept), trend, harmoncos1..harmoncos<order>, harmonsin1..harmonsin<order>; harmoncos_k = cos(2 pi k t), harmonsin_k = sin(2 pi k t), t = decimal time",
    trend = "regular series: 1-based position in the ts (NA kept in the count); true-date modis: t itself (decimal years)",
    coefficients_time_trend = "regular named series only: the same fit with time t in place of trend (intercept, t, harmonics)",
    times = "regular ts: t_i = (year0 + (period0 - 1)/23) + (i - 1) * (1/23) as R's time() computes it; true dates: year + (doy - 1)/days_in_year",
    start = "monitoring start; history = obs with t < start, monitoring = obs with t >= start",
    rmse_df = "sqrt(RSS / (n_history - k)) = strucchange's sigma (the MOSUM scale)",
    rmse_n = "sqrt(RSS / n_history)",
    mosum = "MO_t = sum of the K = floor(h n) last OLS residuals ending at t, / (sigma sqrt(n)); t runs over the observations after the stable history (n + 1..N)",
    boundary = "critical_value * sqrt(2 * logPlus(t / n)), logPlus(x) = 1 if x <= e else log(x)",
    break_time = "time of the first monitoring observation with |MO_t| > boundary_t; null if none",
    break_index = "1-based position of that observation among the n + 1..N",
    magnitude = "median of y - prediction over the observations with t >= start",
    roc = "Rec-CUSUM on the reversed history; statistic/p_value from sctest() with strucchange's default recursive residuals (engine R, ~1e-8 rounding), statistic_direct/p_value_direct the same from recursive residuals refitted per row by lm.fit (QR); start_row is 1-based in the forward history; lambda = boundary()'s uniroot solution at alpha 0.05; first_crossing_j is 1-based in the reversed recursive residuals",
    modis_detail = "modis records keyed pxPP_<convention>_<history>_o<order>; ROC/order 3 ones hold the MOSUM values (in order, one per observation after history_end) and the boundary (a single number when constant over the monitoring, an array otherwise); the others hold a summary",
    modis_pixel = "pixel p = row * 5 + col, row 0 at the top (gdallocationinfo pixel col row); values / 10000",
    modis_start = sprintf("reg: 2010(12) = %s; true: 2010-06-26 = %s; windows end at 2011(14) / 2011-07-28",
                          jnum(start_reg), jnum(start_true))
  ),
  modis_nan_per_pixel = arr(nan_count),
  critical_value = results[[1]]$critical_value,
  printed = arr(printed)
)
out <- list(meta = meta, series = results, modis = modis)
dir.create(dirname(OUT), recursive = TRUE, showWarnings = FALSE)
writeLines(to_json(out), OUT)
cat("wrote", OUT, "\n")
writeLines(to_json(list(meta = meta, series = results, modis = modis_full)), FULL)
cat("wrote", FULL, "\n")
