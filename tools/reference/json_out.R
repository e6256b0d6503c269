## JSON writing shared by the reference scripts: full-precision numbers (shortest text that
## reads back to the same double), arrays via arr(), objects nested deeper than DEPTH_PRETTY
## written on one line, and "rawjson" objects (JSON text written as is).
jnum <- function(x) {
  if (is.na(x)) return("null")
  if (is.integer(x)) return(sprintf("%d", x))
  if (!is.finite(x)) stop("non-finite number")
  if (x == round(x) && abs(x) < 2^53) return(sprintf("%.1f", x))
  for (d in 15:17) {
    s <- sprintf("%.*g", d, x)
    if (as.numeric(s) == x) return(s)
  }
  s
}
jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", s)), "\"")
arr <- function(x) structure(list(v = x), class = "jarr")
DEPTH_PRETTY <- 1
to_json <- function(x, ind = "") {
  if (inherits(x, "rawjson")) return(x$text)  # JSON text kept as is
  if (nchar(ind) > DEPTH_PRETTY) return(to_json_flat(x))
  nx <- paste0(ind, " ")
  if (inherits(x, "jarr")) {
    v <- x$v
    if (length(v) == 0) return("[]")
    items <- if (is.list(v)) vapply(v, to_json, "", ind = nx)
             else if (is.character(v)) vapply(v, jstr, "")
             else if (is.logical(v)) ifelse(is.na(v), "null", ifelse(v, "true", "false"))
             else if (is.integer(v)) vapply(v, jnum, "")
             else vapply(as.numeric(v), jnum, "")
    return(paste0("[", paste(items, collapse = ","), "]"))
  }
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (length(x) == 0) return("{}")
    nm <- names(x)
    if (is.null(nm)) {
      return(paste0("[\n", paste0(nx, vapply(x, to_json, "", ind = nx), collapse = ",\n"), "\n", ind, "]"))
    }
    body <- vapply(seq_along(x), function(i) paste0(nx, jstr(nm[i]), ": ", to_json(x[[i]], nx)), "")
    return(paste0("{\n", paste(body, collapse = ",\n"), "\n", ind, "}"))
  }
  if (length(x) != 1) return(to_json(arr(x), ind))
  if (is.character(x)) return(jstr(x))
  if (is.logical(x)) return(if (is.na(x)) "null" else if (x) "true" else "false")
  if (is.integer(x)) jnum(x) else jnum(as.numeric(x))
}
to_json_flat <- function(x) {
  if (inherits(x, "rawjson")) return(x$text)
  if (inherits(x, "jarr") || is.null(x) || !is.list(x)) return(to_json(x, ""))
  nm <- names(x)
  if (is.null(nm)) return(paste0("[", paste(vapply(x, to_json_flat, ""), collapse = ","), "]"))
  paste0("{", paste(vapply(seq_along(x), function(i) paste0(jstr(nm[i]), ":", to_json_flat(x[[i]])), ""),
                    collapse = ","), "}")
}
